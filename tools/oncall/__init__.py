"""Who is on call: rotations, overrides and iCal schedules (issue 19, the schedules slice)."""
