"""What an admin change page submits: its forms' fields (inlines included) as the page filled them in."""


def change_form_data(response) -> dict:
    """The admin change form's fields (inlines included) as the page filled them in."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False and not form.fields[name].disabled:
                data[form.add_prefix(name)] = value
    return data
