import { useLayoutEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A modal sheet on the native <dialog>: focus moves in and is trapped there, Escape closes it,
 * and focus returns to where it was.
 */
export function Sheet({
  open,
  title,
  onClose,
  children,
}: {
  readonly open: boolean;
  readonly title: ReactNode;
  readonly onClose: () => void;
  readonly children: ReactNode;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDialogElement>(null);
  // A layout effect, so the dialog is open before the content's own effects run: a field that
  // focuses itself on mount (the PIN pad) then keeps the focus.
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="sheet"
      aria-labelledby="sheet-title"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <>
          <header className="sheet-header">
            <h2 id="sheet-title">{title}</h2>
            <button type="button" className="icon-button" onClick={onClose}>
              <span aria-hidden="true">×</span>
              <span className="visually-hidden">{t('common:close')}</span>
            </button>
          </header>
          <div className="sheet-body">{children}</div>
        </>
      ) : null}
    </dialog>
  );
}
