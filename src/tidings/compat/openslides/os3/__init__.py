"""The OpenSlides 3 mode (spec openslides3.md): serve a real OpenSlides 3 installation's data
from its Redis, per user, as its own autoupdate service did.

``data`` (the copy) is written by ``ingest`` (Redis); ``auth`` and ``session`` say who calls;
``perms``, ``restrict``, ``users`` and ``polls`` say what they see, ``shared`` which callers
see an element alike; ``lines`` and ``streams`` write the autoupdate and projector streams;
``slides``, ``slides_current`` and ``projector`` render projectors; ``realtime`` carries
notify and applause through OpenSlides' Redis; ``mode`` holds it all for one process.
"""
