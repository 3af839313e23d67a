/**
 * What the migrations that check references once a statement (0029, 0031) share. Not a
 * migration itself: db.ts lists the migrations it runs.
 */

/**
 * The body of a statement-level trigger function (its rows in the transition table `new_rows`)
 * that does what a foreign key's check does for each of `references`: every key the rows name is
 * a row of the parent table, locked FOR KEY SHARE, in one query per reference rather than one per
 * row; a missing one raises foreign_key_violation under the constraint's usual name.
 */
export function referencesCheck(schema: string, table: string, references: readonly { readonly column: string; readonly parent: string }[]): string {
  const q = (name: string) => `"${schema.replace(/"/g, '""')}".${name}`;
  const checks = references.map(
    ({ column, parent }) => `
      SELECT count(DISTINCT ${column}) INTO wanted FROM new_rows;
      SELECT count(*) INTO found FROM (SELECT 1 FROM ${q(parent)} p WHERE p.id IN (SELECT ${column} FROM new_rows) FOR KEY SHARE OF p) AS locked;
      IF found < wanted THEN
        SELECT n.${column} INTO missing FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM ${q(parent)} p WHERE p.id = n.${column}) LIMIT 1;
        RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${table}_${column}_fkey"'
          USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (${column})=(%s) is not present in table "${parent}".', missing);
      END IF;`,
  );
  return `
    DECLARE
      wanted bigint;
      found bigint;
      missing text;
    BEGIN${checks.join('')}
      RETURN NULL;
    END`;
}
