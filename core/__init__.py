"""The shared kernel: types every layer may import (errors, caller and access, approval
states and views, incident findings, the clock). It imports nothing of opsbot's own, only
the standard library, so `bot`, `graphs`, `tools` and `knowledge` can all depend on it."""
