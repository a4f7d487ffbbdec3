"""CLI sub-commands, one module per area. Each exposes `register(subparsers)`."""
