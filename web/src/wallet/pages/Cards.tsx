import { Page } from '../../shared/ui';

export default function Cards() {
  return <Page title="Cards">{null}</Page>;
}
