from django.db import models


class Category(models.TextChoices):
    REMINDER = "reminder", "Reminder"  # owners may opt out (Membership.receives_reminders)
    ALERT = "alert", "Security alert"  # nobody opts out
