"""Log analysis: streaming template mining (`drain.py`) and the Loghub benchmark layout
(`loghub.py`). Plain Python, standard library only."""
