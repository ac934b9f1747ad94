"""The parts of the `zhenxing` command line that are not one subcommand: the language it
speaks (`language`), its argument parser (`argparsing`, shared with `zhenxing rules`),
how errors become one-line messages (`errors`) and the report of `zhenxing check`
(`check`). `zhenxing/cli.py` wires them.

Nothing here imports Django at module level: the command line must be able to explain
a broken configuration before Django can start.
"""
