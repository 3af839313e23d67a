import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { client, data, onSessionLost, setCsrfToken, type Schema } from './api/client.ts';
import { queryClient } from './api/queries.ts';

type AdminUser = Schema<'AdminUser'>;

interface Auth {
  /** undefined while we ask the server; null when signed out. */
  user: AdminUser | null | undefined;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  /** Set when the session ended by itself (shown on the sign-in page). */
  notice: string | null;
}

const AuthContext = createContext<Auth>({ user: undefined, signIn: async () => {}, signOut: async () => {}, notice: null });

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<AdminUser | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    data(client.GET('/api/v1/auth/me'))
      .then((me) => {
        setCsrfToken(me.csrfToken);
        setUser(me.user);
      })
      .catch(() => setUser(null));
  }, []);

  useEffect(() => {
    onSessionLost(() => {
      setCsrfToken(null);
      queryClient.clear();
      setNotice('Your session has expired. Sign in again.');
      setUser(null);
    });
    return () => onSessionLost(null);
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    const res = await data(client.POST('/api/v1/auth/login', { body: { email, password } }));
    setCsrfToken(res.csrfToken);
    setNotice(null);
    setUser(res.user);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await data(client.POST('/api/v1/auth/logout'));
    } finally {
      queryClient.clear();
      setCsrfToken(null);
      setNotice('You have signed out.');
      setUser(null);
    }
  }, []);

  return <AuthContext.Provider value={{ user, signIn, signOut, notice }}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  return useContext(AuthContext);
}
