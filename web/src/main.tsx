import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { AuthProvider } from './auth.tsx';
import { CapabilitiesProvider } from './capabilities.tsx';
import { RouterProvider } from './router.tsx';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RouterProvider>
      <AuthProvider>
        <CapabilitiesProvider>
          <App />
        </CapabilitiesProvider>
      </AuthProvider>
    </RouterProvider>
  </StrictMode>,
);
