"""Instructor: links for the class, the live gradebook, receipts and item analysis. Only for
instructors (pages/ui/instructor.py); the shell lists it in the menu only for them."""

from pages.ui.instructor import draw_instructor_page

draw_instructor_page()
