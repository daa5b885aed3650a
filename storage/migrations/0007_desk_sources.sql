-- PLACEHOLDER so that 0008 has no gap on the "desk-posts" branch. The "desk-sources" engineer
-- owns 0007 (desk_sources); on merge take theirs.
SELECT 1;
