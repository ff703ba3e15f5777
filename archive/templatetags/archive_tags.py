from django import template

from ..filters import without_nuls

register = template.Library()


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag(takes_context=True)
def toggle_param(context, name, value):
    """The current query string with name=value added, or removed if present; page reset."""
    # As the filters read them (NULs stripped): a chip for "ice\x00" must remove it, not
    # add "ice" beside it.
    params = without_nuls(context["request"].GET)
    params.pop("page", None)
    values = params.getlist(name)
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    if name == "publication":
        values = values[-1:]
    params.setlist(name, values)
    return params.urlencode()


@register.simple_tag(takes_context=True)
def with_param(context, name, value):
    """The current query string with name set to value; page reset."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    params[name] = value
    return params.urlencode()
