"""``python -m vzb.data``: list the bundled samples, or ``--rebuild SHARED_DIR`` them."""

from vzb.data.samples import main

raise SystemExit(main())
