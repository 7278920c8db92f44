import { ImagePickers } from './ImagePickers.tsx';

export function EmptyState() {
  return (
    <div className="empty">
      <svg className="empty-art" viewBox="0 0 64 64" aria-hidden="true">
        <rect x="6" y="12" width="52" height="40" rx="6" />
        <circle cx="22" cy="26" r="5" />
        <path d="M10 48 L26 34 L36 42 L44 36 L54 46" />
        <rect className="empty-box" x="30" y="18" width="20" height="16" rx="2" />
      </svg>
      <h2>Drop a photo here</h2>
      <p>or paste it (Ctrl/⌘ V), choose a file, or take a photo. Then draw boxes and ask about them.</p>
      <ImagePickers />
      <p className="fineprint">Everything runs in this browser tab. Nothing is uploaded.</p>
    </div>
  );
}
