"""Reading a sweep table: which columns are parameters, the best sets, a stat over two axes.

A sweep table has one row per parameter set (and symbol): the parameter columns, a
``symbol`` column, then one column per stat. The table says which columns are its
parameters in ``table.attrs["parameters"]`` (``vzb.sweep`` and the job runner write it,
and :func:`vzb.results.save_table` keeps it through Parquet); nothing here guesses from
column names.

>>> import pandas as pd
>>> table = pd.DataFrame({"window": [5, 5, 10, 10], "share": [0.1, 0.2] * 2,
...                       "symbol": "BTC_USD", "Return [%]": [1.0, 4.0, 3.0, 2.0]})
>>> table.attrs["parameters"] = ["window", "share"]
>>> parameter_columns(table)
['window', 'share']
>>> best_sets(table, "Return [%]", n=2)
   window  share  Return [%]
0       5    0.2         4.0
1      10    0.1         3.0
"""

from __future__ import annotations

import pandas as pd

from vzb.errors import ParameterError

__all__ = [
    "LOWER_IS_BETTER",
    "PARAMETERS_ATTR",
    "best_sets",
    "heatmap_table",
    "lower_is_better",
    "parameter_columns",
    "stat_columns",
    "varying_parameters",
]

#: the ``DataFrame.attrs`` key where a sweep table lists its parameter columns
PARAMETERS_ATTR = "parameters"

LOWER_IS_BETTER = ("Drawdown Duration", "Volatility", "Fees")
"""Stats (by substring of their name) where a smaller value ranks higher."""


def parameter_columns(table: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep table, as the table records them.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table with ``table.attrs["parameters"]``, the list of its parameter
        columns (``vzb.sweep``, ``runner.result()`` and ``vzb.results.load_table`` give
        such tables).

    Returns
    -------
    list of str

    Raises
    ------
    ParameterError
        When the table does not record its parameters, or records a name that is not
        one of its columns; the message says how to set them.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"window": [5, 10], "Return [%]": [1.0, 2.0]})
    >>> parameter_columns(table)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.ParameterError: This table does not record its parameter columns ...
    >>> table.attrs["parameters"] = ["window"]
    >>> parameter_columns(table)
    ['window']
    """
    names = table.attrs.get(PARAMETERS_ATTR)
    if names is None:
        raise ParameterError(
            f"This table does not record its parameter columns (table.attrs"
            f"[{PARAMETERS_ATTR!r}] is missing); its columns are {list(map(str, table.columns))}. "
            f"Tables from vzb.sweep, runner.result() and vzb.results.load_table record them; "
            f"for a table built another way, name them: "
            f"table.attrs[{PARAMETERS_ATTR!r}] = ['<parameter>', ...]."
        )
    names = [names] if isinstance(names, str) else list(names)
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise ParameterError(
            f"table.attrs[{PARAMETERS_ATTR!r}] names {missing}, which are not columns of the "
            f"table ({list(map(str, table.columns))}). Fix: set it to the parameter columns "
            f"the table holds."
        )
    return names


def stat_columns(table: pd.DataFrame) -> list[str]:
    """The numeric stats columns of a sweep table: every numeric column that is neither a
    parameter nor ``symbol`` (booleans excluded).

    >>> import pandas as pd
    >>> table = pd.DataFrame({"window": [5], "symbol": ["X"], "# Trades": [3], "ok": [True]})
    >>> table.attrs["parameters"] = ["window"]
    >>> stat_columns(table)
    ['# Trades']
    """
    skip = {*parameter_columns(table), "symbol"}
    return [
        column
        for column in table.columns
        if column not in skip
        and pd.api.types.is_numeric_dtype(table[column])
        and not pd.api.types.is_bool_dtype(table[column])
    ]


def varying_parameters(table: pd.DataFrame) -> list[str]:
    """The parameter columns that take more than one value in the table.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"a": [1, 2], "b": [0.5, 0.5]})
    >>> table.attrs["parameters"] = ["a", "b"]
    >>> varying_parameters(table)
    ['a']
    """
    return [c for c in parameter_columns(table) if table[c].nunique(dropna=False) > 1]


def lower_is_better(stat: str) -> bool:
    """True for stats where a smaller value is better (see :data:`LOWER_IS_BETTER`).

    >>> lower_is_better("Total Fees [$]"), lower_is_better("Sharpe Ratio")
    (True, False)
    """
    return any(word in stat for word in LOWER_IS_BETTER)


def _check_column(table: pd.DataFrame, name: str, argument: str, choices: list[str]) -> None:
    if name not in table.columns:
        raise ParameterError(
            f"{argument}={name!r} is not a column of the sweep table; use one of {choices}"
        )


def best_sets(
    table: pd.DataFrame,
    stat: str = "Return [%]",
    n: int = 10,
    *,
    ascending: bool | None = None,
) -> pd.DataFrame:
    """The ``n`` best parameter sets by ``stat``, averaged over symbols.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (see :func:`parameter_columns`).
    stat : str
        The stats column to rank by.
    n : int
        How many sets to return.
    ascending : bool, optional
        Rank smallest first; by default only for stats where lower is better
        (:func:`lower_is_better`).

    Returns
    -------
    pandas.DataFrame
        Parameter columns and every stat (the mean over symbols when a set has several
        rows; with one row per set the table's own values and dtypes), best first, with
        a fresh 0..n-1 index.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"window": [5, 5, 10, 10], "symbol": ["A", "B"] * 2,
    ...                       "Return [%]": [1.0, 3.0, 4.0, 4.0]})
    >>> table.attrs["parameters"] = ["window"]
    >>> best_sets(table, n=1)
       window  Return [%]
    0      10         4.0
    """
    params = parameter_columns(table)
    stats = stat_columns(table)
    _check_column(table, stat, "stat", stats)
    if ascending is None:
        ascending = lower_is_better(stat)
    if not params or not table.duplicated(params).any():
        # one row per set: nothing to average, keep the table's dtypes (int counts)
        ranked = table[params + stats].sort_values(stat, ascending=ascending, na_position="last")
        return ranked.head(n).reset_index(drop=True)
    grouped = table.groupby(params, sort=False, dropna=False)[stats].mean()
    ranked = grouped.sort_values(stat, ascending=ascending, na_position="last").head(n)
    return ranked.reset_index()


def heatmap_table(
    table: pd.DataFrame, x: str, y: str, stat: str = "Return [%]", *, agg: str = "mean"
) -> pd.DataFrame:
    """``stat`` pivoted over two parameters: ``y`` values as rows, ``x`` values as columns.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (see :func:`parameter_columns`).
    x, y : str
        Two different parameter columns.
    stat : str
        The stats column to pivot.
    agg : str
        How rows with the same ``x`` and ``y`` (other parameters, symbols) are combined:
        ``'mean'``, ``'max'``, ``'median'``...

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ParameterError
        When ``x``, ``y`` or ``stat`` is not a column of the right kind, or ``x == y``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"a": [1, 1, 2, 2], "b": [0.1, 0.2, 0.1, 0.2],
    ...                       "symbol": "X", "Return [%]": [1.0, 2.0, 3.0, 4.0]})
    >>> table.attrs["parameters"] = ["a", "b"]
    >>> heatmap_table(table, x="a", y="b").to_dict()
    {1: {0.1: 1.0, 0.2: 2.0}, 2: {0.1: 3.0, 0.2: 4.0}}
    """
    params = parameter_columns(table)
    for argument, name in (("x", x), ("y", y)):
        _check_column(table[params], name, argument, params)
    _check_column(table, stat, "stat", stat_columns(table))
    if x == y:
        raise ParameterError(f"x and y are both {x!r}; pick two different parameters")
    return table.pivot_table(index=y, columns=x, values=stat, aggfunc=agg).sort_index()
