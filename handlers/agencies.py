"""/agencies (profiles of the UN agencies) and /contacts (public-information focal points)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.callbacks import CallbackData
from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from bot.render.items import render_agency, render_contact
from bot.ui import answer_stale, home_row, keyboard, respond

AGENCY = CallbackData("ag")


def agency_list(context: BotContext) -> tuple[str, list[list[tuple[str, str]]]]:
    tr = context.tr
    agencies = context.services.content.current.agencies
    rows = [[(a.acronym[tr.lang] + " — " + a.name[tr.lang], AGENCY.pack(a.id))] for a in agencies]
    rows.append(home_row(tr))
    return tr.pgettext("agencies", "<b>UN agencies in Tajikistan</b>\n\nChoose an agency:"), rows


async def agencies(update: Update, context: BotContext) -> None:
    text, rows = agency_list(context)
    await respond(update, text, keyboard(rows))


async def agency_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    content = context.services.content.current
    fields = AGENCY.unpack(query.data, 1)
    if fields == ["list"]:
        await query.answer()
        text, rows = agency_list(context)
        await respond(update, text, keyboard(rows), edit=True)
        return
    agency = content.get("agency", fields[0]) if fields else None
    if agency is None:
        await answer_stale(query, context.tr)
        return
    await query.answer()
    rows = [[(tr.pgettext("agencies", "« All agencies"), AGENCY.pack("list"))], home_row(tr)]
    await respond(update, render_agency(tr, content, agency), keyboard(rows), edit=True)


async def contacts(update: Update, context: BotContext) -> None:
    tr = context.tr
    content = context.services.content.current
    parts = [tr.pgettext("contacts", "<b>Public-information focal points</b>")]
    parts += [render_contact(tr, content, c) for c in content.contacts]
    parts.append(
        tr.pgettext(
            "contacts",
            "Only the contact details published in the sources are shown here.",
        )
    )
    await respond(update, "\n\n".join(parts), keyboard([home_row(tr)]))


FEATURE = Feature(
    name="agencies",
    commands=(
        Command(
            "agencies",
            lazy_pgettext("command menu", "UN agencies working in Tajikistan"),
            agencies,
            button=lazy_pgettext("main menu", "🏛 Agencies"),
        ),
        Command(
            "contacts",
            lazy_pgettext("command menu", "Contacts of the UN press focal points"),
            contacts,
            button=lazy_pgettext("main menu", "📇 Contacts"),
        ),
    ),
    callbacks=(AGENCY,),
    handlers=(CallbackQueryHandler(agency_button, pattern=AGENCY.pattern),),
)
