"""Web entry point: ``python app.py`` serves MIE-IS Coach on 127.0.0.1:7860 (MIE_PORT)."""

from coach.cli.common import fail, load_settings
from coach.errors import CoachError
from coach.web import serve

if __name__ == "__main__":
    try:
        serve(load_settings())
    except CoachError as exc:
        fail(str(exc))
