export { BarChart, type Bar } from './BarChart';
export { Button } from './Button';
export { SelectField, TextField } from './Field';
export { LanguageSwitch } from './LanguageSwitch';
export { MoneyText } from './Money';
export { Page } from './Page';
export { PIN_LENGTH, PinPad } from './PinPad';
export { Sheet } from './Sheet';
export { Empty, ErrorNotice, Loading, useErrorMessage } from './states';
