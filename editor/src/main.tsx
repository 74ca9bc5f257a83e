import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { prefetchFor } from "./api/prefetch.ts";
import { App } from "./App.tsx";

prefetchFor(location.pathname, location.search);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
