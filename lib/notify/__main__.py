import sys

from lib.notify.run import run

sys.exit(run())
