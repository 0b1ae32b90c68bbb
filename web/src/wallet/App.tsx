import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, type ComponentType, type LazyExoticComponent } from 'react';
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
import { ErrorNotice, Loading } from '../shared/ui';
import { Layout } from './Layout';
import { useMe } from './session';

const page = (
  load: () => Promise<{ default: ComponentType }>,
): LazyExoticComponent<ComponentType> => lazy(load);

// Every screen is its own chunk, so the first load carries only the shell and the first page.
const SignIn = page(() => import('./pages/SignIn'));
const SignUp = page(() => import('./pages/SignUp'));
const Home = page(() => import('./pages/Home'));
const TopUp = page(() => import('./pages/TopUp'));
const Withdraw = page(() => import('./pages/Withdraw'));
const Cards = page(() => import('./pages/Cards'));
const Send = page(() => import('./pages/Send'));
const Requests = page(() => import('./pages/Requests'));
const Scan = page(() => import('./pages/Scan'));
const PayCode = page(() => import('./pages/PayCode'));
const Collect = page(() => import('./pages/Collect'));
const PayLink = page(() => import('./pages/PayLink'));
const Activity = page(() => import('./pages/Activity'));
const Receipt = page(() => import('./pages/Receipt'));
const Insights = page(() => import('./pages/Insights'));
const Notifications = page(() => import('./pages/Notifications'));
const Security = page(() => import('./pages/Security'));
const Settings = page(() => import('./pages/Settings'));
const PaymentPin = page(() => import('./pages/PaymentPin'));
const NotFound = page(() => import('./pages/NotFound'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Balances must never look fresher than they are: refetch on focus, and retry only
      // failures that a retry can fix.
      refetchOnWindowFocus: true,
      retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status < 500),
    },
  },
});

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
