"""Bar charts drawn on the server as SVG geometry for the templates. Every bar carries its
value as text and its label beside it, so the charts read without colour; patterns tell
the series apart."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    pattern: str = ""  # a CSS class naming a fill pattern

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 1)


def _nice_max(value: float) -> float:
    return max(value, 1)


def day_columns(days, value, *, fmt=str, height: float = 120, width: float = 420) -> dict:
    """Vertical bars, one per day, with room on the right for the last bar's value.
    `value(day)` gives the number; `fmt` its text."""
    count = max(len(days), 1)
    step = (width - 30) / count
    top = _nice_max(max((value(d) for d in days), default=0))
    bars = []
    for i, day in enumerate(days):
        v = value(day)
        h = round(v / top * height, 1)
        bars.append(
            Bar(
                label=day.day.strftime("%b %d"),
                value_text=fmt(v),
                x=round(i * step + step * 0.15, 1),
                y=round(height - h, 1),
                width=round(step * 0.7, 1),
                height=h,
            )
        )
    ticks = [bars[0], bars[len(bars) // 2], bars[-1]] if bars else []
    return {"bars": bars, "ticks": ticks, "height": height, "width": width}


ROW = 46  # a row: its label on one line, its bar and value on the next


def labelled_rows(rows: list[tuple[str, float, str, str]], *, width: float = 420) -> dict:
    """Horizontal bars, one per (label, value, value text, pattern) row."""
    top = _nice_max(max((v for _, v, _, _ in rows), default=0))
    bar_area = width * 0.5
    bars = [
        Bar(label=label, value_text=text, x=0, y=i * ROW,
            width=round(max(v / top * bar_area, 2 if v else 0), 1), height=18, pattern=pattern)
        for i, (label, v, text, pattern) in enumerate(rows)
    ]  # fmt: skip
    return {"bars": bars, "height": max(len(rows) * ROW, ROW), "width": width}
