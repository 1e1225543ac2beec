"""Assignment: the instructions, checklist, due date and quiz sets of the assignment a student
follows (``?assignment=ID``; pages/ui/assignment.py)."""

from pages.ui.assignment import draw_assignment_page, followed_assignment

draw_assignment_page(followed_assignment())
