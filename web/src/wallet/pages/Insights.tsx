import { Page } from '../../shared/ui';

export default function Insights() {
  return <Page title="Insights">{null}</Page>;
}
