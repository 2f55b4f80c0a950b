"""Development tooling: the local service stack (`python -m sop.dev.stack run`) and the demo
company. The application never imports this package (only `flask seed-demo`, lazily)."""
