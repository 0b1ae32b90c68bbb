import { QueryClientProvider } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import {
  BrowserRouter,
  Navigate,
  Outlet,
  Route,
  Routes,
  useLocation,
  useNavigate,
} from 'react-router';
import { ApiError, onSignedOut } from '../shared/api';
import { createQueryClient, lazyPage } from '../shared/app-kit';
import { ErrorNotice, Loading } from '../shared/ui';
import { Layout } from './Layout';
import { useMe } from './session';

// Every screen is its own chunk, so the first load carries only the shell and the first page.
const SignIn = lazyPage(() => import('./pages/SignIn'));
const SignUp = lazyPage(() => import('./pages/SignUp'));
const Home = lazyPage(() => import('./pages/Home'));
const TopUp = lazyPage(() => import('./pages/TopUp'));
const Withdraw = lazyPage(() => import('./pages/Withdraw'));
const Cards = lazyPage(() => import('./pages/Cards'));
const Send = lazyPage(() => import('./pages/Send'));
const Requests = lazyPage(() => import('./pages/Requests'));
const Scan = lazyPage(() => import('./pages/Scan'));
const PayCode = lazyPage(() => import('./pages/PayCode'));
const Collect = lazyPage(() => import('./pages/Collect'));
const PayLink = lazyPage(() => import('./pages/PayLink'));
const Activity = lazyPage(() => import('./pages/Activity'));
const Receipt = lazyPage(() => import('./pages/Receipt'));
const Insights = lazyPage(() => import('./pages/Insights'));
const Notifications = lazyPage(() => import('./pages/Notifications'));
const Security = lazyPage(() => import('./pages/Security'));
const Settings = lazyPage(() => import('./pages/Settings'));
const PaymentPin = lazyPage(() => import('./pages/PaymentPin'));
const NotFound = lazyPage(() => import('./pages/NotFound'));

const queryClient = createQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SignedOutRedirect />
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/signin" element={<SignIn />} />
            <Route path="/signup" element={<SignUp />} />
            <Route element={<RequireUser />}>
              <Route element={<Layout />}>
                <Route index element={<Home />} />
                <Route path="topup" element={<TopUp />} />
                <Route path="withdraw" element={<Withdraw />} />
                <Route path="cards" element={<Cards />} />
                <Route path="send" element={<Send />} />
                <Route path="requests/*" element={<Requests />} />
                <Route path="scan" element={<Scan />} />
                <Route path="paycode" element={<PayCode />} />
                <Route path="collect" element={<Collect />} />
                <Route path="pay/:id" element={<PayLink />} />
                <Route path="activity" element={<Activity />} />
                <Route path="activity/:id" element={<Receipt />} />
                <Route path="insights" element={<Insights />} />
                <Route path="notifications" element={<Notifications />} />
                <Route path="security" element={<Security />} />
                <Route path="settings" element={<Settings />} />
                <Route path="pin" element={<PaymentPin />} />
                <Route path="*" element={<NotFound />} />
              </Route>
            </Route>
          </Routes>
        </Suspense>
      </BrowserRouter>
    </QueryClientProvider>
  );
}

/** Pages behind sign-in: without a session, off to /signin, coming back here afterwards. */
function RequireUser() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (me.error instanceof ApiError && me.error.status === 401) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/signin?next=${next}`} replace />;
  }
  if (me.error) return <ErrorNotice error={me.error} onRetry={() => void me.refetch()} />;
  return <Outlet />;
}

function SignedOutRedirect() {
  const navigate = useNavigate();
  useEffect(
    () =>
      onSignedOut(() => {
        queryClient.clear();
        const { pathname, search } = window.location;
        if (['/signin', '/signup'].includes(pathname)) return;
        navigate(
          pathname === '/' ? '/signin' : `/signin?next=${encodeURIComponent(pathname + search)}`,
        );
      }),
    [navigate],
  );
  return null;
}
