"""Test settings: the project's own settings with what only tests need changed."""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789abcdef")

from config.settings import *  # noqa: E402, F403

# The test client speaks plain HTTP; production keeps the HTTPS redirect.
SECURE_SSL_REDIRECT = False
# Hashing passwords at full strength would dominate the suite's run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# GraphiQL, checked in a browser by the tests, needs introspection; the production default (off)
# is checked in a subprocess with production settings.
GRAPHQL_INTROSPECTION = True
GRAPHIQL = True

# Backups the consolidation tests take go to a temporary folder, not the project's .data/.
import tempfile  # noqa: E402

DATA_DIR = Path(tempfile.mkdtemp(prefix="learningplatform-tests-"))  # noqa: F405
# Statement counts must not depend on which test saw a document first (graphql_api/readpath/
# fallbacks.py); the tests of the record turn it on.
GRAPHQL_RECORD_FALLBACKS = False
# Registered documents are looked up on every request, so that no test sees a document another
# test registered; the tests of the per-process trust set a TTL.
GRAPHQL_REGISTERED_DOCUMENTS_TTL = 0
