import { Page } from '../../shared/ui';

export default function SignUp() {
  return <Page title="SignUp">{null}</Page>;
}
