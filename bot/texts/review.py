"""Texts of the self-review form: one message, edited in place, step by step."""

from __future__ import annotations

from typing import Any

from bot.texts import minutes, quote

CLOSED = "This review is closed."
STEP_OVER = "That step is done; use the buttons below it."
USE_BUTTONS = "Please tap one of the buttons in the review above."
TOO_LONG = "That's a bit long: keep it under {limit} characters, please."
TEXT_ONLY = "Please type it as a text message."
ANALYSING = "🧠 Analysing your session <b>{goal}</b>…"
ANALYSIS_LATER = (
    "✅ Review saved for <b>{goal}</b>. The analysis will follow as soon as I can run it."
)
ALREADY_SUBMITTED = "This review is already submitted."

SKIP = "Skip"
DONE = "Done ✓"
SUBMIT = "Submit ✓"
EDIT = "Edit"
BACK = "« Back"
GOAL_RESULTS = {"yes": "Yes", "partly": "Partly", "no": "No"}
SOLUTIONS = {
    "phone_away": "📵 Phone away",
    "site_blocker": "🚫 Site blocker",
    "pomodoro": "🍅 Pomodoro",
    "notifications_off": "🔕 Notifications off",
    "music": "🎧 Music / noise-cancelling",
    "one_tab": "1️⃣ One tab only",
}
CATEGORY_MARKS = {"on_task": "✅", "neutral": "▫️", "distracting": "⚠️"}
STEP_NAMES = {
    "activities": "Activities",
    "goal": "Goal",
    "quality": "Quality",
    "distraction": "Distraction",
    "solutions": "Solutions",
    "note": "Note",
}

HEADER = "📝 <b>Review</b>: {goal}\n<i>Step {number} of 7</i>\n\n"
PROMPTS = {
    "activities": "{measured}\n\nAnything else you did? Type it, or tap Skip.",
    "goal": "Did you achieve your goal?",
    "quality": "How good was your focus? 1 = poor, 5 = deep work.",
    "distraction": "How distracted were you? 1 = not at all, 5 = constantly.",
    "solutions": (
        "What helped you focus? Tap all that apply, type any other, then tap Done.{other}"
    ),
    "note": "Anything to note for next time? Type it, or tap Skip.",
}
NO_DATA = "No browser activity was recorded in this session."
MEASURED_TITLE = "<b>Measured in your browser</b>"
HOST_LINE = "{mark} {host}: {length}"
OTHER_LINE = "\n\nOther: <i>{text}</i>"
SUMMARY = (
    "📝 <b>Review</b>: {goal}\n<i>Step 7 of 7: check and submit</i>\n\n"
    "<b>Also did:</b> {extra}\n"
    "<b>Goal achieved:</b> {goal_result}\n"
    "<b>Quality:</b> {quality}/5\n"
    "<b>Distraction:</b> {distraction}/5\n"
    "<b>Helped:</b> {solutions}\n"
    "<b>Note:</b> {note}"
)
EDIT_WHICH = "Which answer do you want to change?"
NOTHING = "—"

STEPS = ("activities", "goal", "quality", "distraction", "solutions", "note")


def measured(hosts: list[list[Any]]) -> str:
    if not hosts:
        return NO_DATA
    lines = [
        HOST_LINE.format(
            mark=CATEGORY_MARKS.get(str(category), "▫️"),
            host=quote(str(host)),
            length=minutes(float(mins)),
        )
        for host, mins, category in hosts
    ]
    return MEASURED_TITLE + "\n" + "\n".join(lines)


def step(name: str, form: dict[str, Any]) -> str:
    """The form message at step `name`, from the form's data."""
    header = HEADER.format(goal=quote(form["goal"]), number=STEPS.index(name) + 1)
    other = form.get("other")
    prompt = PROMPTS[name].format(
        measured=measured(form.get("hosts", [])),
        other=OTHER_LINE.format(text=quote(other)) if other else "",
    )
    return header + prompt


def summary(form: dict[str, Any]) -> str:
    chosen = [SOLUTIONS[s] for s in form.get("solutions", []) if s in SOLUTIONS]
    if form.get("other"):
        chosen.append(quote(form["other"]))
    return SUMMARY.format(
        goal=quote(form["goal"]),
        extra=quote(form["extra"]) if form.get("extra") else NOTHING,
        goal_result=GOAL_RESULTS.get(form.get("goal_result") or "", NOTHING),
        quality=form.get("quality") or NOTHING,
        distraction=form.get("distraction") or NOTHING,
        solutions=", ".join(chosen) or NOTHING,
        note=quote(form["note"]) if form.get("note") else NOTHING,
    )
