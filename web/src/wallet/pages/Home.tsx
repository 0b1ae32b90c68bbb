import { Page } from '../../shared/ui';

export default function Home() {
  return <Page title="Home">{null}</Page>;
}
