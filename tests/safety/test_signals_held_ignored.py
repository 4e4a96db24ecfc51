"""A signal the drill inherited ignored stays ignored while signals are held (issue 13).

A drill started in the background (``nohup``, a script's ``&``) has SIGINT ignored; holding
signals around an injection or an undo used to install a handler for it there and put the
ignore back afterwards, so a Ctrl-C was acted on during those moments and ignored otherwise.
"""

from __future__ import annotations

import os
import signal

from drills.interrupts import signals_held


def test_an_ignored_sigint_stays_ignored_and_sigterm_is_still_held() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with signals_held("testing") as held:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)  # ignored: nothing noted, nothing raised
            os.kill(os.getpid(), signal.SIGTERM)  # held: noted for after the block
        assert held.received == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
