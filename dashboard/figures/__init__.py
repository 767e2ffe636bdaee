"""Plotly figure builders: pure functions of small frames."""

GROUP_COLOURS = {"core": "#1f5fa8", "outer": "#2a9d8f", "county": "#e09f3e"}
FONT_FAMILY = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif'
