import { QueryClientProvider } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { onSignedOut } from '../shared/api';
import { createQueryClient, lazyPage } from '../shared/app-kit';
import { Loading } from '../shared/ui';
import { Layout } from './Layout';
import { ME_QUERY_KEY } from './session';
import './portal.css';

const Dashboard = lazyPage(() => import('./pages/Dashboard'));
const Onboarding = lazyPage(() => import('./pages/Onboarding'));
const QrSign = lazyPage(() => import('./pages/QrSign'));
const Payments = lazyPage(() => import('./pages/Payments'));
const PaymentDetail = lazyPage(() => import('./pages/PaymentDetail'));
const Collect = lazyPage(() => import('./pages/Collect'));
const ApiKeys = lazyPage(() => import('./pages/ApiKeys'));
const Webhooks = lazyPage(() => import('./pages/Webhooks'));
const Settlements = lazyPage(() => import('./pages/Settlements'));
const NotFound = lazyPage(() => import('./pages/NotFound'));

const queryClient = createQueryClient();

/**
 * The merchant portal at `/merchant/`: the owner of a merchant, signed in with the wallet's
 * session, sees takings, payments, refunds, collection codes, API keys, webhooks and settlements.
 */
export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename="/merchant">
        <SignedOutWatch />
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route element={<Layout />}>
              <Route index element={<Dashboard />} />
              <Route path="merchant" element={<Onboarding />} />
              <Route path="qr" element={<QrSign />} />
              <Route path="payments" element={<Payments />} />
              <Route path="payments/:id" element={<PaymentDetail />} />
              <Route path="collect" element={<Collect />} />
              <Route path="api-keys" element={<ApiKeys />} />
              <Route path="webhooks" element={<Webhooks />} />
              <Route path="settlements" element={<Settlements />} />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </Suspense>
      </BrowserRouter>
    </QueryClientProvider>
  );
}

/**
 * When the API says the session is gone, forget the merchant's data and ask who is signed in
 * again (once: the answer to that question is itself a 401).
 */
function SignedOutWatch() {
  useEffect(
    () =>
      onSignedOut(() => {
        queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_QUERY_KEY[0] });
        if (queryClient.getQueryState(ME_QUERY_KEY)?.status === 'success') {
          void queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
        }
      }),
    [],
  );
  return null;
}
