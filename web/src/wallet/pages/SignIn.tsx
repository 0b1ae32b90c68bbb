import { Page } from '../../shared/ui';

export default function SignIn() {
  return <Page title="SignIn">{null}</Page>;
}
