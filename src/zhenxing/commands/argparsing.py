"""Argument parsers for the command lines (`zhenxing` and `zhenxing rules`) in the user's
language.

argparse writes its own words in English ("usage:", "options", "the following arguments
are required"); `ChineseArgumentParser` says them in Chinese like the rest of the
command line, `EnglishArgumentParser` keeps them in English. Both give a usage error as
one line: what was wrong and where the help is. Pure Python (the rules engine uses it).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from typing import NoReturn

# argparse's error messages (Python 3.11–3.13), most specific first
_ARGPARSE_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the following arguments are required: (.*)$"), r"缺少必填参数：\1"),
    (re.compile(r"^unrecognized arguments: (.*)$"), r"无法识别的参数：\1"),
    (re.compile(r"^one of the arguments (.*) is required$"), r"须给出以下参数之一：\1"),
    (re.compile(r"^ambiguous option: (\S+) could match (.*)$"), r"选项 \1 有歧义，可能是：\2"),
    (
        re.compile(r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$"),
        r"参数 \1 的取值 \2 无效（可选：\3）",
    ),
    (re.compile(r"^argument (\S+): expected one argument$"), r"参数 \1 需要一个值"),
    (re.compile(r"^argument (\S+): expected at least one argument$"), r"参数 \1 至少需要一个值"),
    (re.compile(r"^argument (\S+): invalid (\S+) value: (.*)$"), r"参数 \1 的值 \3 无效"),
    (
        re.compile(r"^argument (\S+): not allowed with argument (.*)$"),
        r"参数 \1 不能与 \2 同时使用",
    ),
    (re.compile(r"^argument (\S+): (.*)$"), r"参数 \1：\2"),
]


def argparse_message_zh(message: str) -> str:
    """An argparse error message in Chinese (unchanged if it is not a known one)."""
    for pattern, replacement in _ARGPARSE_ZH:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


class _ChineseHelpFormatter(argparse.HelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose headings, `-h` and error messages are in Chinese.

    Subparsers made with `add_subparsers()` are of the same class.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _ChineseHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示此帮助并退出")

    def error(self, message: str) -> NoReturn:
        # One line: what was wrong and where the help is (the usage alone rarely says which).
        self.exit(
            2, f"{self.prog}：错误：{argparse_message_zh(message)}（用法见 {self.prog} --help）\n"
        )


class EnglishArgumentParser(argparse.ArgumentParser):
    """argparse in English, with a usage error in one line like `ChineseArgumentParser`'s."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def argument_parser_class(lang: str) -> type[argparse.ArgumentParser]:
    """The parser for a command line speaking `lang` ("zh" or "en")."""
    return EnglishArgumentParser if lang == "en" else ChineseArgumentParser


class _ChineseListFormatter(_ChineseHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def list_formatter_class(lang: str) -> type[argparse.HelpFormatter]:
    """A formatter that keeps the description and epilog as written (a list, one item a
    line), for a command whose help lists its choices."""
    return argparse.RawDescriptionHelpFormatter if lang == "en" else _ChineseListFormatter
