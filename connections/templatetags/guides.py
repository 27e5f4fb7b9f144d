"""{% guide_links code %}: links to the guide steps that fix a sign-in failure, for owners or inside a setup link."""

from django import template
from django.urls import reverse

from connections.guides import guide_get
from connections.guides.fixes import FIX_STEPS

register = template.Library()


@register.inclusion_tag("connections/guide_links.html", takes_context=True)
def guide_links(context, code):
    link = context.get("setup_link")
    in_setup_link = link is not None
    org = context.get("current_org")
    links = []
    for slug, anchor in FIX_STEPS.get(code, ()):
        guide = guide_get(slug)
        if in_setup_link and link.connection is not None and guide.protocol != link.connection.kind:
            continue  # the link opens the guides of its connection's protocol only
        step = next((s for s in guide.steps if s.anchor == anchor), None)
        if in_setup_link:
            url = reverse("setup_links:guide", kwargs={"slug": slug})
        elif org is not None:
            url = reverse("connections:guide", kwargs={"org_slug": org.slug, "slug": slug})
        else:
            continue
        links.append({"url": f"{url}#step-{anchor}", "label": f"{guide.title}: {step.title}"})
    return {"links": links}
