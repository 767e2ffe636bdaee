"""HTTP routes beside the Dash pages: file exports of every panel, and (later) the aggregates API."""
