/**
 * Realistic, multilingual people and places for provider sandboxes (BambooHR today, others later).
 *
 * Everything here is plain data plus a few pure helpers: a seeded PRNG, ASCII folding for e-mail
 * addresses, and a person picker. Names are written as people write them (diacritics, apostrophes,
 * hyphens, particles, native scripts); a name in a non-Latin script carries its romanisation so
 * that e-mail addresses can be derived from it.
 */

// ───────────────────────────── seeded randomness ─────────────────────────────

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
}

/** mulberry32: tiny, fast, good enough for test data, and identical on every platform. */
export function createRng(seed: number): Rng {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    weighted: <T>(items: readonly (readonly [T, number])[]): T => {
      let total = 0;
      for (const [, w] of items) total += w;
      let r = next() * total;
      for (const [item, w] of items) {
        r -= w;
        if (r < 0) return item;
      }
      const last = items[items.length - 1];
      if (!last) throw new RangeError('weighted pick from an empty list');
      return last[0];
    },
  };
}

// ───────────────────────────── names ─────────────────────────────

/** A name as written, or `[native script, romanisation]`. */
export type NamePart = string | readonly [native: string, latin: string];

export interface NameCulture {
  readonly id: string;
  readonly label: string;
  readonly given: readonly NamePart[];
  readonly family: readonly NamePart[];
  /** Family name first when written in the native script (山田 太郎). */
  readonly familyFirst?: boolean;
  /** Share of people of this culture whose names are stored in the native script (default 0). */
  readonly nativeShare?: number;
}

export const CULTURES: readonly NameCulture[] = [
  {
    id: 'en',
    label: 'English',
    given: ['James', 'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'William', 'Sophia', 'Benjamin', 'Isabella', 'Lucas', 'Mia',
      'Henry', 'Charlotte', 'Alexander', 'Amelia', 'Michael', 'Harper', 'Daniel', 'Evelyn', 'Matthew', 'Abigail', 'Samuel',
      'Emily', 'David', 'Elizabeth', 'Joseph', 'Grace', 'Robert', 'Katherine', 'Margaret', 'Christopher', 'Jennifer',
      'Brianna', 'Tyler', 'DeShawn', 'Jamal', 'Aaliyah', 'Imani', 'Keisha', 'Marcus', 'Mary-Kate', 'Zoë'],
    family: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Thomas',
      'Moore', 'Jackson', 'Martin', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen',
      'King', 'Wright', 'Scott', 'Hill', 'Green', 'Adams', 'Baker', 'Nelson', 'Carter', 'Mitchell', 'Roberts', 'Turner',
      'Phillips', 'Campbell', 'Parker', 'Evans', 'Edwards', 'Collins', 'Stewart', 'Morris', 'Cook', 'Rogers', 'Fitzgerald',
      'St. John', 'Smith-Jones', 'McAllister'],
  },
  {
    id: 'ga',
    label: 'Irish',
    given: ['Siobhán', 'Aoife', 'Saoirse', 'Niamh', 'Caoimhe', 'Róisín', 'Clodagh', 'Eimear', 'Orla', 'Sinéad', 'Máire',
      'Gráinne', 'Seán', 'Pádraig', 'Ciarán', 'Oisín', 'Darragh', 'Cillian', 'Eoin', 'Tadhg', 'Conor', 'Fionn', 'Declan',
      'Rónán', 'Diarmuid', 'Colm'],
    family: ['Ó Briain', "O'Connor", "O'Sullivan", 'Mac Cárthaigh', 'Murphy', 'Kelly', 'Byrne', 'Ryan', "O'Brien", 'Walsh',
      'McCarthy', 'Doyle', 'Ó Súilleabháin', 'Mac Giolla Phádraig', 'Ní Dhomhnaill', 'Ó Ceallaigh', 'Fitzpatrick',
      'Gallagher', 'Ó Néill', 'Nic Aodha', 'Kavanagh', 'McLoughlin', 'Ó Dónaill'],
  },
  {
    id: 'es',
    label: 'Spanish',
    given: ['José', 'María', 'Ana-María', 'Juan', 'Lucía', 'Javier', 'Sofía', 'Alejandro', 'Camila', 'Andrés', 'Valentina',
      'Diego', 'Martina', 'Pablo', 'Carmen', 'Álvaro', 'Inés', 'Íñigo', 'Nuria', 'Raúl', 'Begoña', 'Ramón', 'Mónica',
      'Jesús', 'Guadalupe', 'Fernando', 'Ximena', 'Santiago', 'María José', 'Joaquín'],
    family: ['Álvarez', 'García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez',
      'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Muñoz', 'Romero', 'Alonso', 'Gutiérrez', 'Núñez',
      'Peña', 'de la Cruz', 'Ibáñez', 'Castaño', 'Ortiz', 'Vázquez', 'Sáenz', 'García Márquez', 'Quiñones'],
  },
  {
    id: 'pt',
    label: 'Portuguese',
    given: ['João', 'Ana', 'Luís', 'Beatriz', 'Gonçalo', 'Mariana', 'Thiago', 'Letícia', 'Guilherme', 'Larissa', 'Rafael',
      'Júlia', 'Matheus', 'Fernanda', 'Vinícius', 'Gabriela', 'Caio', 'Luíza', 'Antônio', 'Conceição', 'Sebastião', 'Lívia',
      'Otávio', 'Érica'],
    family: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Costa', 'Pereira', 'Carvalho', 'Gonçalves', 'Araújo', 'Ribeiro',
      'Gomes', 'Magalhães', 'Assunção', 'Brandão', 'Simões', 'Falcão', 'Lopes', 'Mendonça', 'Nascimento', 'dos Santos',
      'da Silva', 'Sá', 'Leão'],
  },
  {
    id: 'de',
    label: 'German',
    given: ['Zoë', 'Jürgen', 'Lukas', 'Lea', 'Felix', 'Sophie', 'Maximilian', 'Hannah', 'Jonas', 'Marie', 'Björn', 'Anja',
      'Günther', 'Käthe', 'Jörg', 'Sören', 'Mia', 'Leon', 'Annegret', 'Friedrich', 'Ursula', 'Matthias', 'Birgit', 'Uwe'],
    family: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann',
      'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Krüger',
      'Hartmann', 'Lange', 'Weiß', 'Groß', 'Müller-Lüdenscheidt', 'von Bülow', 'Köhler', 'Jäger', 'Böhm', 'Strauß'],
  },
  {
    id: 'pl',
    label: 'Polish',
    given: ['Łukasz', 'Małgorzata', 'Paweł', 'Agnieszka', 'Michał', 'Katarzyna', 'Wojciech', 'Zofia', 'Grzegorz', 'Joanna',
      'Krzysztof', 'Anna', 'Piotr', 'Magdalena', 'Jędrzej', 'Bożena', 'Mikołaj', 'Józef', 'Żaneta', 'Przemysław', 'Ewa',
      'Szymon', 'Dorota', 'Tomasz'],
    family: ['Wójcik', 'Kowalski', 'Nowak', 'Wiśniewski', 'Lewandowski', 'Zieliński', 'Szymański', 'Woźniak', 'Dąbrowski',
      'Kozłowski', 'Jankowski', 'Mazur', 'Kwiatkowski', 'Krawczyk', 'Piotrowski', 'Grabowski', 'Pawłowski', 'Michalski',
      'Król', 'Wróbel', 'Żak', 'Jabłoński', 'Sobczak', 'Błaszczykowski', 'Kołodziej'],
  },
  {
    id: 'nordic',
    label: 'Nordic',
    given: ['Åsa', 'Øystein', 'Bjørn', 'Sigrid', 'Ingrid', 'Åse', 'Kjetil', 'Solveig', 'Torbjørn', 'Ragnhild', 'Håkon',
      'Eirik', 'Linnéa', 'Märta', 'Göran', 'Astrid', 'Søren', 'Mette', 'Nils', 'Freja', 'Halldór', 'Guðrún', 'Þórunn',
      'Sigurður'],
    family: ['Ødegård', 'Hansen', 'Johansen', 'Olsen', 'Larsen', 'Andersen', 'Pedersen', 'Nilsen', 'Kristiansen', 'Jensen',
      'Karlsen', 'Johansson', 'Lindqvist', 'Åberg', 'Sjöberg', 'Bergström', 'Lindström', 'Nyström', 'Sørensen',
      'Bjørklund', 'Kjær', 'Gunnarsdóttir', 'Sigurðsson', 'Þórsson', 'Strøm', 'Løvås'],
  },
  {
    id: 'fr',
    label: 'French',
    given: ['Amélie', 'Chloé', 'Léa', 'Élodie', 'Hélène', 'Noël', 'Benoît', 'François', 'Jérôme', 'Stéphane', 'Étienne',
      'Anaïs', 'Maëlle', 'Gaëlle', 'Jean-Luc', 'Marie-Claire', 'Jean-Baptiste', 'Cécile', 'Loïc', 'Raphaël', 'Océane',
      'Théo', 'Zoé', 'Mathéo'],
    family: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Lefèvre', 'Girard',
      'Bonnet', 'Dupont', 'Lambert', 'Fontaine', 'Rousseau', 'Mercier', 'Gauthier', 'Chevalier', 'Lemaître', 'Bélanger',
      'Côté', 'Gagné', 'Pelletier', 'Bérubé', "D'Arcy", 'Le Goff', 'de Villiers'],
  },
  {
    id: 'it',
    label: 'Italian',
    given: ['Giulia', 'Alessandro', 'Francesca', 'Lorenzo', 'Chiara', 'Matteo', 'Niccolò', 'Federica', 'Andrea', 'Elena',
      'Giuseppe', 'Caterina', 'Davide', 'Ilaria', 'Riccardo', 'Martina'],
    family: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno',
      'Gallo', 'Conti', 'De Luca', 'Mancini', "D'Angelo", 'Lombardi', 'Moretti', 'Barbieri', 'Fontana', 'Santoro',
      "Dell'Acqua", 'Lo Russo'],
  },
  {
    id: 'ja',
    label: 'Japanese',
    familyFirst: true,
    nativeShare: 0.5,
    given: [['太郎', 'Tarō'], ['花子', 'Hanako'], ['翔太', 'Shōta'], ['陽菜', 'Hina'], ['大輔', 'Daisuke'], ['美咲', 'Misaki'],
      ['健太', 'Kenta'], ['由美', 'Yumi'], ['拓海', 'Takumi'], ['さくら', 'Sakura'], ['蓮', 'Ren'], ['結衣', 'Yui'],
      ['悠斗', 'Yūto'], ['葵', 'Aoi'], ['直樹', 'Naoki'], ['恵子', 'Keiko'], ['浩二', 'Kōji'], ['愛', 'Ai'], ['隆', 'Takashi'],
      ['真由美', 'Mayumi'], ['優子', 'Yūko']],
    family: [['山田', 'Yamada'], ['佐藤', 'Satō'], ['鈴木', 'Suzuki'], ['高橋', 'Takahashi'], ['田中', 'Tanaka'],
      ['伊藤', 'Itō'], ['渡辺', 'Watanabe'], ['山本', 'Yamamoto'], ['中村', 'Nakamura'], ['小林', 'Kobayashi'],
      ['加藤', 'Katō'], ['吉田', 'Yoshida'], ['山口', 'Yamaguchi'], ['松本', 'Matsumoto'], ['井上', 'Inoue'],
      ['木村', 'Kimura'], ['林', 'Hayashi'], ['斎藤', 'Saitō'], ['清水', 'Shimizu'], ['大野', 'Ōno'], ['池田', 'Ikeda']],
  },
  {
    id: 'zh',
    label: 'Chinese',
    familyFirst: true,
    nativeShare: 0.35,
    given: [['伟', 'Wei'], ['芳', 'Fang'], ['娜', 'Na'], ['秀英', 'Xiuying'], ['敏', 'Min'], ['静', 'Jing'], ['丽', 'Li'],
      ['强', 'Qiang'], ['磊', 'Lei'], ['军', 'Jun'], ['洋', 'Yang'], ['艳', 'Yan'], ['杰', 'Jie'], ['涛', 'Tao'], ['明', 'Ming'],
      ['秀兰', 'Xiulan'], ['霞', 'Xia'], ['欣怡', 'Xinyi'], ['子轩', 'Zixuan'], ['梓涵', 'Zihan']],
    family: [['王', 'Wang'], ['李', 'Li'], ['张', 'Zhang'], ['刘', 'Liu'], ['陈', 'Chen'], ['杨', 'Yang'], ['黄', 'Huang'],
      ['赵', 'Zhao'], ['吴', 'Wu'], ['周', 'Zhou'], ['徐', 'Xu'], ['孙', 'Sun'], ['马', 'Ma'], ['朱', 'Zhu'], ['胡', 'Hu'],
      ['郭', 'Guo'], ['林', 'Lin'], ['高', 'Gao'], ['吕', 'Lü'], ['欧阳', 'Ouyang'], ['司马', 'Sima']],
  },
  {
    id: 'ko',
    label: 'Korean',
    familyFirst: true,
    nativeShare: 0.3,
    given: [['민준', 'Min-jun'], ['서연', 'Seo-yeon'], ['지훈', 'Ji-hoon'], ['수빈', 'Su-bin'], ['현우', 'Hyun-woo'],
      ['지은', 'Ji-eun'], ['도윤', 'Do-yoon'], ['하은', 'Ha-eun'], ['준서', 'Jun-seo'], ['예은', 'Ye-eun']],
    family: [['김', 'Kim'], ['이', 'Lee'], ['박', 'Park'], ['최', 'Choi'], ['정', 'Jung'], ['강', 'Kang'], ['조', 'Cho'],
      ['윤', 'Yoon'], ['장', 'Jang'], ['임', 'Lim']],
  },
  {
    id: 'vi',
    label: 'Vietnamese',
    given: ['Hương', 'Thị Hương', 'Văn Đức', 'Minh Anh', 'Quốc Bảo', 'Thu Trang', 'Hoàng Long', 'Ngọc Ánh', 'Đức Thắng',
      'Thanh Hằng', 'Phương Linh', 'Tuấn Anh', 'Bảo Ngọc', 'Hải Yến', 'Quang Huy', 'Mỹ Duyên', 'Khánh Linh', 'Gia Huy'],
    family: ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô',
      'Dương', 'Lý'],
  },
  {
    id: 'el',
    label: 'Greek',
    nativeShare: 0.5,
    given: [['Γιώργος', 'Giorgos'], ['Μαρία', 'Maria'], ['Δημήτρης', 'Dimitris'], ['Ελένη', 'Eleni'], ['Νίκος', 'Nikos'],
      ['Κατερίνα', 'Katerina'], ['Κωνσταντίνος', 'Konstantinos'], ['Σοφία', 'Sofia'], ['Ιωάννης', 'Ioannis'],
      ['Παναγιώτης', 'Panagiotis'], ['Δέσποινα', 'Despoina'], ['Χρήστος', 'Christos'], ['Αθηνά', 'Athina'],
      ['Ωραιοζήλη', 'Oraiozili'], ['Ολυμπία', 'Olympia']],
    family: [['Παπαδόπουλος', 'Papadopoulos'], ['Βλάχος', 'Vlachos'], ['Γεωργίου', 'Georgiou'], ['Οικονόμου', 'Oikonomou'],
      ['Αντωνίου', 'Antoniou'], ['Νικολάου', 'Nikolaou'], ['Καραγιάννης', 'Karagiannis'], ['Μακρής', 'Makris'],
      ['Παπαγεωργίου', 'Papageorgiou'], ['Ιωάννου', 'Ioannou'], ['Χατζηδάκης', 'Chatzidakis'], ['Ψαρράς', 'Psarras'],
      ['Ωραιόπουλος', 'Oraiopoulos']],
  },
  {
    id: 'uk',
    label: 'Ukrainian',
    nativeShare: 0.3,
    given: [['Олександр', 'Oleksandr'], ['Олена', 'Olena'], ['Андрій', 'Andrii'], ['Наталія', 'Nataliia'],
      ['Дмитро', 'Dmytro'], ['Ірина', 'Iryna'], ['Сергій', 'Serhii'], ['Юлія', 'Yuliia'], ['Максим', 'Maksym'],
      ['Тетяна', 'Tetiana']],
    family: [['Шевченко', 'Shevchenko'], ['Коваленко', 'Kovalenko'], ['Бондаренко', 'Bondarenko'], ['Ткаченко', 'Tkachenko'],
      ['Кравченко', 'Kravchenko'], ['Мельник', 'Melnyk'], ['Олійник', 'Oliinyk'], ['Шевчук', 'Shevchuk'],
      ['Поліщук', 'Polishchuk'], ['Лисенко', 'Lysenko']],
  },
  {
    id: 'tr',
    label: 'Turkish',
    given: ['Ayşe', 'Mehmet', 'Fatma', 'Mustafa', 'Emine', 'Ahmet', 'Zeynep', 'Ömer', 'Elif', 'Çağrı', 'Şeyma', 'İbrahim',
      'Gül', 'Hüseyin', 'Özge', 'Burak', 'Büşra', 'Tuğba', 'Ilgın', 'Oğuz'],
    family: ['Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Yıldız', 'Yıldırım', 'Öztürk', 'Aydın', 'Özdemir', 'Arslan',
      'Doğan', 'Kılıç', 'Aslan', 'Çetin', 'Kara', 'Koç', 'Kurt', 'Özkan', 'Şimşek'],
  },
  {
    id: 'in',
    label: 'Indian',
    given: ['Aarav', 'Priya', 'Arjun', 'Ananya', 'Rohan', 'Diya', 'Vikram', 'Kavya', 'Aditya', 'Ishaan', 'Saanvi', 'Rahul',
      'Sneha', 'Karthik', 'Lakshmi', 'Meera', 'Siddharth', 'Pooja', 'Venkatesh', 'Shreya', 'Nikhil', 'Divya'],
    family: ['Sharma', 'Patel', 'Singh', 'Kumar', 'Gupta', 'Reddy', 'Iyer', 'Nair', 'Menon', 'Rao', 'Joshi', 'Mehta',
      'Chatterjee', 'Banerjee', 'Das', 'Krishnan', 'Pillai', 'Subramanian', 'Agarwal', 'Bhattacharya', 'Venkataraman'],
  },
  {
    id: 'ar',
    label: 'Arabic',
    given: ['Mohammed', 'Fatima', 'Ahmed', 'Aisha', 'Omar', 'Layla', 'Youssef', 'Mariam', 'Khalid', 'Noor', 'Hassan',
      'Zainab', 'Ali', 'Salma', 'Karim', 'Yasmin', 'Tariq', 'Huda', 'Rania', 'Samir'],
    family: ['Al-Farsi', 'Haddad', 'Khoury', 'El-Amin', 'Nasser', 'Saleh', 'Hamdan', 'Mansour', 'Abdullah', 'Al-Sayed',
      'Bakr', 'Darwish', 'Aziz', 'Qureshi', 'Ibrahim', 'Yousef'],
  },
  {
    id: 'ng',
    label: 'Nigerian',
    given: ['Chinedu', 'Ngozi', 'Oluwaseun', 'Adaeze', 'Emeka', 'Funmilayo', 'Tunde', 'Chiamaka', 'Babajide', 'Folake',
      'Ikechukwu', 'Yetunde', 'Obinna', 'Amaka', 'Kelechi', 'Temitope', 'Adebayo', 'Nkechi'],
    family: ['Okafor', 'Adeyemi', 'Okonkwo', 'Balogun', 'Eze', 'Nwosu', 'Adebayo', 'Ogunleye', 'Chukwu', 'Olawale', 'Okeke',
      'Afolabi', 'Nnamdi', 'Oyelaran', 'Ezeani', 'Akinola'],
  },
];

const CULTURE_BY_ID = new Map(CULTURES.map((c) => [c.id, c]));

export function culture(id: string): NameCulture {
  const c = CULTURE_BY_ID.get(id);
  if (!c) throw new RangeError(`unknown name culture: ${id}`);
  return c;
}

/** Common short forms, used as preferred names for a few people. */
export const NICKNAMES: Readonly<Record<string, string>> = {
  William: 'Will', Robert: 'Bob', Elizabeth: 'Liz', Katherine: 'Kate', Alexander: 'Alex', Margaret: 'Maggie',
  Christopher: 'Chris', Jennifer: 'Jen', Benjamin: 'Ben', Matthew: 'Matt', Samuel: 'Sam', Michael: 'Mike',
  José: 'Pepe', Francesca: 'Fran', Maximilian: 'Max', Konstantinos: 'Kostas', Oleksandr: 'Sasha', Małgorzata: 'Gosia',
  Przemysław: 'Przemek', Katarzyna: 'Kasia', Giuseppe: 'Beppe', Guadalupe: 'Lupe', Oluwaseun: 'Seun', Ikechukwu: 'Ike',
  Siddharth: 'Sid', Pádraig: 'Paddy', Alejandro: 'Álex', 'Jean-Baptiste': 'JB',
};

export interface GeneratedName {
  readonly cultureId: string;
  readonly firstName: string;
  readonly lastName: string;
  /** Latin-script forms (identical to the above for Latin-script names). */
  readonly latinFirst: string;
  readonly latinLast: string;
  readonly preferredName: string | null;
  readonly displayName: string;
}

/** Picks a realistic name from one culture. */
export function pickName(rng: Rng, cultureId: string): GeneratedName {
  const c = culture(cultureId);
  const given = rng.pick(c.given);
  const family = rng.pick(c.family);
  const native = (c.nativeShare ?? 0) > 0 && rng.chance(c.nativeShare ?? 0);
  const [gNative, gLatin] = typeof given === 'string' ? [given, given] : given;
  const [fNative, fLatin] = typeof family === 'string' ? [family, family] : family;
  const firstName = native ? gNative : gLatin;
  const lastName = native ? fNative : fLatin;
  let preferredName: string | null = null;
  if (native && c.familyFirst && rng.chance(0.4)) preferredName = gLatin;
  else if (!native && rng.chance(0.35)) preferredName = NICKNAMES[gLatin] ?? null;
  return {
    cultureId: c.id,
    firstName,
    lastName,
    latinFirst: gLatin,
    latinLast: fLatin,
    preferredName,
    displayName: displayNameOf(firstName, lastName, preferredName),
  };
}

const FAMILY_FIRST_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** "Preferred Last", or "山田 太郎" (family first) for CJK names written in their own script. */
export function displayNameOf(firstName: string, lastName: string, preferredName: string | null | undefined): string {
  if (FAMILY_FIRST_SCRIPT.test(firstName) || FAMILY_FIRST_SCRIPT.test(lastName)) return `${lastName} ${firstName}`.trim();
  return `${preferredName || firstName} ${lastName}`.trim();
}

// ───────────────────────────── ASCII folding ─────────────────────────────

let romanizations: Map<string, string> | null = null;

/** The romanisation of a native-script name this module knows (`山田` → `Yamada`), else the name itself. */
export function romanize(name: string): string {
  if (!romanizations) {
    romanizations = new Map();
    for (const c of CULTURES) for (const part of [...c.given, ...c.family]) if (typeof part !== 'string') romanizations.set(part[0], part[1]);
  }
  return romanizations.get(name) ?? name;
}

const SPECIAL_FOLDS: Readonly<Record<string, string>> = {
  ß: 'ss', ẞ: 'SS', ø: 'o', Ø: 'O', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ð: 'd', Ð: 'D',
  þ: 'th', Þ: 'Th', ı: 'i', ĸ: 'k', ŋ: 'ng', Ŋ: 'Ng', ħ: 'h', Ħ: 'H',
};

/** Greek and Cyrillic letters (lower case; callers lower-case first when they need to). */
const TRANSLIT: Readonly<Record<string, string>> = {
  α: 'a', β: 'v', γ: 'g', δ: 'd', ε: 'e', ζ: 'z', η: 'i', θ: 'th', ι: 'i', κ: 'k', λ: 'l', μ: 'm', ν: 'n', ξ: 'x', ο: 'o',
  π: 'p', ρ: 'r', σ: 's', ς: 's', τ: 't', υ: 'y', φ: 'f', χ: 'ch', ψ: 'ps', ω: 'o',
  а: 'a', б: 'b', в: 'v', г: 'h', ґ: 'g', д: 'd', е: 'e', є: 'ie', ж: 'zh', з: 'z', и: 'y', і: 'i', ї: 'i', й: 'i',
  к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch',
  ш: 'sh', щ: 'shch', ь: '', ю: 'iu', я: 'ia', ы: 'y', э: 'e', ъ: '', ё: 'e',
};

/**
 * Folds text to ASCII: strips diacritics (José → Jose, Łukasz → Lukasz, Ødegård → Odegard, ß → ss)
 * and transliterates Greek and Cyrillic. Characters with no ASCII form (CJK) are dropped.
 */
export function asciiFold(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFD')) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x80) {
      out += ch;
      continue;
    }
    if (/\p{M}/u.test(ch)) continue;
    const special = SPECIAL_FOLDS[ch];
    if (special !== undefined) {
      out += special;
      continue;
    }
    const lower = ch.toLowerCase();
    const tr = TRANSLIT[lower];
    if (tr !== undefined) {
      out += lower === ch ? tr : tr.charAt(0).toUpperCase() + tr.slice(1);
      continue;
    }
    // anything else (CJK, symbols) has no sensible ASCII form
  }
  return out;
}

/** `José`, `Álvarez` → `jose.alvarez`; `Siobhán`, `Ó Briain` → `siobhan.obriain`. Empty if nothing foldable. */
export function emailLocalPart(first: string, last: string): string {
  const a = emailPart(first);
  const b = emailPart(last);
  return a && b ? `${a}.${b}` : a || b;
}

const emailPartCache = new Map<string, string>();

/** One name folded for an e-mail address: `Ó Briain` → `obriain`, `Ana-María` → `ana-maria`, `山田` → `yamada`. */
export function emailPart(name: string): string {
  let v = emailPartCache.get(name);
  if (v === undefined) {
    v = asciiFold(romanize(name))
      .toLowerCase()
      .replace(/[\s'’.]+/g, '')
      .replace(/[^a-z0-9-]+/g, '')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '');
    if (emailPartCache.size < 100_000) emailPartCache.set(name, v);
  }
  return v;
}

// ───────────────────────────── places ─────────────────────────────

export interface Place {
  /** As an HR system would name the location. */
  readonly name: string;
  readonly city: string;
  readonly country: string;
  /** ISO 3166-1 alpha-2. */
  readonly countryCode: string;
  readonly timeZone: string;
  /** Relative headcount. */
  readonly weight: number;
  /** Name cultures of the people working there, by weight. */
  readonly cultures: readonly (readonly [string, number])[];
  /** A plausible (fictional where a fictional range exists) mobile and landline number. */
  mobilePhone(rng: Rng): string;
  workPhone(rng: Rng): string;
}

const digits = (rng: Rng, n: number): string => String(Math.floor(rng.next() * 10 ** n)).padStart(n, '0');

export const PLACES: readonly Place[] = [
  {
    name: 'Salt Lake City', city: 'Salt Lake City', country: 'United States', countryCode: 'US', timeZone: 'America/Denver', weight: 30,
    cultures: [['en', 48], ['es', 14], ['in', 7], ['zh', 5], ['vi', 5], ['ko', 3], ['ng', 4], ['ar', 3], ['ja', 2], ['de', 2], ['fr', 2], ['it', 2], ['el', 1], ['ga', 2]],
    mobilePhone: (rng) => `+1 801-555-01${digits(rng, 2)}`,
    workPhone: (rng) => `+1 385-555-01${digits(rng, 2)}`,
  },
  {
    name: 'London', city: 'London', country: 'United Kingdom', countryCode: 'GB', timeZone: 'Europe/London', weight: 14,
    cultures: [['en', 45], ['in', 10], ['ga', 6], ['pl', 5], ['ng', 6], ['fr', 5], ['it', 4], ['el', 4], ['ar', 4], ['zh', 4], ['es', 4], ['pt', 3]],
    mobilePhone: (rng) => `+44 7700 900${digits(rng, 3)}`,
    workPhone: (rng) => `+44 20 7946 0${digits(rng, 3)}`,
  },
  {
    name: 'Dublin', city: 'Dublin', country: 'Ireland', countryCode: 'IE', timeZone: 'Europe/Dublin', weight: 8,
    cultures: [['ga', 55], ['en', 12], ['pl', 8], ['pt', 5], ['es', 5], ['in', 5], ['it', 4], ['fr', 3], ['uk', 3]],
    mobilePhone: (rng) => `+353 85 ${digits(rng, 3)} ${digits(rng, 4)}`,
    workPhone: (rng) => `+353 1 ${digits(rng, 3)} ${digits(rng, 4)}`,
  },
  {
    name: 'Berlin', city: 'Berlin', country: 'Germany', countryCode: 'DE', timeZone: 'Europe/Berlin', weight: 12,
    cultures: [['de', 55], ['tr', 12], ['pl', 6], ['uk', 5], ['el', 4], ['it', 4], ['fr', 3], ['vi', 4], ['ar', 4], ['es', 3]],
    mobilePhone: (rng) => `+49 151 ${digits(rng, 4)} ${digits(rng, 4)}`,
    workPhone: (rng) => `+49 30 ${digits(rng, 4)} ${digits(rng, 3)}`,
  },
  {
    name: 'Kraków', city: 'Kraków', country: 'Poland', countryCode: 'PL', timeZone: 'Europe/Warsaw', weight: 10,
    cultures: [['pl', 80], ['uk', 12], ['de', 3], ['en', 2], ['es', 3]],
    mobilePhone: (rng) => `+48 5${digits(rng, 2)} ${digits(rng, 3)} ${digits(rng, 3)}`,
    workPhone: (rng) => `+48 12 ${digits(rng, 3)} ${digits(rng, 2)} ${digits(rng, 2)}`,
  },
  {
    name: 'Oslo', city: 'Oslo', country: 'Norway', countryCode: 'NO', timeZone: 'Europe/Oslo', weight: 6,
    cultures: [['nordic', 78], ['pl', 5], ['de', 4], ['en', 4], ['ar', 4], ['vi', 3], ['el', 2]],
    mobilePhone: (rng) => `+47 9${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 3)}`,
    workPhone: (rng) => `+47 2${digits(rng, 1)} ${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 2)}`,
  },
  {
    name: 'São Paulo', city: 'São Paulo', country: 'Brazil', countryCode: 'BR', timeZone: 'America/Sao_Paulo', weight: 10,
    cultures: [['pt', 78], ['it', 8], ['ja', 6], ['es', 5], ['ar', 3]],
    mobilePhone: (rng) => `+55 11 9${digits(rng, 4)}-${digits(rng, 4)}`,
    workPhone: (rng) => `+55 11 3${digits(rng, 3)}-${digits(rng, 4)}`,
  },
  {
    name: 'Tokyo', city: 'Tokyo', country: 'Japan', countryCode: 'JP', timeZone: 'Asia/Tokyo', weight: 10,
    cultures: [['ja', 82], ['zh', 6], ['ko', 5], ['en', 4], ['fr', 1], ['vi', 2]],
    mobilePhone: (rng) => `+81 90-${digits(rng, 4)}-${digits(rng, 4)}`,
    workPhone: (rng) => `+81 3-${digits(rng, 4)}-${digits(rng, 4)}`,
  },
];

const PLACE_BY_NAME = new Map(PLACES.map((p) => [p.name, p]));

export function placeByName(name: string): Place | undefined {
  return PLACE_BY_NAME.get(name);
}

/** Personal mail domains (RFC 2606 `.example` names, never real mailboxes). */
export const PERSONAL_MAIL_DOMAINS: readonly string[] = ['mail.example', 'posteo.example', 'inbox.example', 'post.example'];
