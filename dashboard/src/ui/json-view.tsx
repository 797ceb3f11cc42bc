import { formatValue } from "./format.js";

/** A value as readable, selectable text: strings as they are, other values as indented JSON. */
export function JsonView({ value, label }: { value: unknown; label?: string }) {
  const text = formatValue(value);
  return (
    <pre className="json" {...(label ? { "aria-label": label } : {})} tabIndex={0}>
      {text.length > 20_000 ? `${text.slice(0, 20_000)}\n… (${text.length - 20_000} more characters)` : text}
    </pre>
  );
}
