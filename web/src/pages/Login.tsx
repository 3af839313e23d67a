import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client.ts';
import { useAuth } from '../auth.tsx';
import { useTitle } from '../hooks.ts';

export function LoginPage() {
  useTitle('Sign in');
  const { signIn, notice } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const next: typeof errors = {};
    if (!email.trim()) next.email = 'Enter your email.';
    else if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) next.email = 'Enter an email address like name@company.com.';
    if (!password) next.password = 'Enter your password.';
    setErrors(next);
    setApiError(null);
    if (next.email || next.password) {
      document.getElementById(next.email ? 'login-email' : 'login-password')?.focus();
      return;
    }
    setBusy(true);
    try {
      await signIn(email.trim(), password);
    } catch (error) {
      setApiError(errorMessage(error));
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <div className="login-card">
        <div className="login-brand">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>
          <span>ReFresh</span>
        </div>
        <h1>Sign in to Settings</h1>
        <p className="muted">For Organization Admins: manage integrations, User Auto-Sync and the employee directory.</p>
        {notice && !apiError && <div className="alert alert-info" role="status">{notice}</div>}
        {apiError && (
          <div className="alert alert-bad" role="alert">
            {apiError}
          </div>
        )}
        <form onSubmit={(e) => void submit(e)} noValidate>
          <div className={`field${errors.email ? ' field-invalid' : ''}`}>
            <label htmlFor="login-email">Email</label>
            <input
              id="login-email"
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={!!errors.email}
              aria-describedby={errors.email ? 'login-email-error' : undefined}
              autoFocus
            />
            {errors.email && (
              <p className="field-error" id="login-email-error">
                {errors.email}
              </p>
            )}
          </div>
          <div className={`field${errors.password ? ' field-invalid' : ''}`}>
            <label htmlFor="login-password">Password</label>
            <input
              id="login-password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={!!errors.password}
              aria-describedby={errors.password ? 'login-password-error' : undefined}
            />
            {errors.password && (
              <p className="field-error" id="login-password-error">
                {errors.password}
              </p>
            )}
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="muted small">
          The first admin is set by <code>REFRESH_ADMIN_EMAIL</code> and <code>REFRESH_ADMIN_PASSWORD</code>; without them, <code>npm start</code> prints a password once.
        </p>
      </div>
    </div>
  );
}
