"""Focus sessions from plan to review: starting, ending and cancelling (`lifecycle`), what
a session looks like to its owner (`view`), the reminders a session sends (`notices`) and
the review the user fills in afterwards (`reviews`).
"""
