import { TopBar } from "../ui/TopBar.tsx";

export function InboxPage() {
  return (
    <div className="page">
      <TopBar />
      <main className="page-body">
        <h1>Inbox</h1>
      </main>
    </div>
  );
}
