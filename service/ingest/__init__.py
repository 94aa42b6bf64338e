"""Every rule that turns outside data into history: extension list snapshots and profile scrapes,
Events API batches (people, room figures, broadcast stitching), and the follow rules all of them
share (`follows`). The store only carries out what these modules decide."""
