"""Margin-call amounts are written "¥314,287.02" (as the pages write money): the built-in Chinese
text no longer adds 元 after them. Rows still holding the former built-in text take the new one;
a text a supervisor edited is left as it is."""

from django.db import migrations

FORMER = ("您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，已低于平仓线。请于 {{ deadline }} "
          "前追加现金 {{ cash }} 元，或卖出 {{ sell }} 元证券并还款；否则您的持仓可能被强制平仓。")


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    NotificationTemplate.objects.filter(event="margin_call", language="zh-hans", body=FORMER).update(
        body=DEFAULT_TEMPLATES["margin_call"]["zh-hans"][1])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_state_change_carries_the_step_comment")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
