"""The four legal documents with a first version each, in Bulgarian and English.

The texts are placeholders that say what they are: the operator publishes the real texts as version 2 from /ops/terms/.
"""

import hashlib
import uuid
from datetime import UTC, datetime

from django.db import migrations

EFFECTIVE = datetime(2025, 12, 31, 22, 0, tzinfo=UTC)  # 1 January 2026, 00:00 in Sofia

DOCUMENTS = [
    {
        "slug": "platform-terms",
        "kind": "platform_terms",
        "audience": "customer",
        "title": "Platform general terms",
        "en": """# Platform general terms, version 1

This is a placeholder text. The operator replaces it with the real terms before customers sign up.

1. **Subject.** These terms govern the use of the Trunkline platform by customer organisations.
2. **Account.** The customer keeps its account email current; notices under these terms are sent to it.
3. **Fees.** Paid plans are billed as agreed in the customer's agreement or order.
4. **Changes.** A new version is emailed to the account email. A customer that does not object within
   7 days of receiving it is deemed to accept it.
5. **Language.** The Bulgarian text prevails over any translation.
""",
        "bg": """# Общи условия за ползване на платформата, версия 1

Това е примерен текст. Операторът го заменя с действителните условия, преди клиентите да се регистрират.

1. **Предмет.** Тези условия уреждат ползването на платформата Trunkline от организациите клиенти.
2. **Профил.** Клиентът поддържа актуален имейла на профила си; уведомленията по тези условия се изпращат на него.
3. **Цени.** Платените планове се заплащат според договора или поръчката на клиента.
4. **Промени.** Новата версия се изпраща на имейла на профила. Клиент, който не възрази в 7-дневен срок от
   получаването ѝ, се счита за приел я.
5. **Език.** Текстът на български език има предимство пред всеки превод.
""",
    },
    {
        "slug": "reseller-terms",
        "kind": "reseller_terms",
        "audience": "reseller",
        "title": "Reseller terms",
        "en": """# Reseller terms, version 1

This is a placeholder text. The operator replaces it with the real terms for resellers.

1. **Subject.** These terms govern the resale of End-Point Licenses through the reseller portal.
2. **Acceptance.** The reseller accepts by clicking "I agree", by placing an Online Order, or by a Purchase Order
   signed by both parties.
3. **Orders.** Licenses are granted once an order is paid in full.
4. **Evidence.** Every acceptance and purchase is stored electronically.
""",
        "bg": """# Условия за търговски партньори, версия 1

Това е примерен текст. Операторът го заменя с действителните условия за търговските партньори.

1. **Предмет.** Тези условия уреждат препродажбата на лицензи за крайни точки чрез портала за партньори.
2. **Приемане.** Партньорът приема условията с бутона „Съгласен съм“, с онлайн поръчка или с поръчка,
   подписана от двете страни.
3. **Поръчки.** Лицензите се предоставят след пълното плащане на поръчката.
4. **Доказателства.** Всяко приемане и всяка покупка се съхраняват по електронен път.
""",
    },
    {
        "slug": "privacy-notice",
        "kind": "privacy_notice",
        "audience": "all",
        "title": "Privacy notice",
        "en": """# Privacy notice, version 1

This is a placeholder text. The operator replaces it with the real privacy notice.

1. **Controller.** The operator of this Trunkline installation.
2. **Data.** Account details of the people who use the platform, and the records needed to provide it.
3. **Purpose.** Providing the services, billing, and keeping the evidence the law requires.
4. **Rights.** Access, correction, erasure and objection: write to the operator.
""",
        "bg": """# Уведомление за поверителност, версия 1

Това е примерен текст. Операторът го заменя с действителното уведомление за поверителност.

1. **Администратор.** Операторът на тази инсталация на Trunkline.
2. **Данни.** Данните на хората, които ползват платформата, и записите, нужни за предоставянето ѝ.
3. **Цел.** Предоставяне на услугите, фактуриране и съхраняване на изискуемите по закон доказателства.
4. **Права.** Достъп, коригиране, изтриване и възражение: пишете на оператора.
""",
    },
    {
        "slug": "data-processing-annex",
        "kind": "data_processing_annex",
        "audience": "customer",
        "title": "Data-processing annex",
        "en": """# Data-processing annex, version 1

This is a placeholder text. The operator replaces it with the real annex.

1. **Roles.** The customer is the controller of its contacts' data; the operator processes it on the customer's
   instructions.
2. **Security.** The operator keeps the data confidential and protected.
3. **Sub-processors.** The operator lists its sub-processors and announces changes.
4. **End.** At the end of the contract the data is returned or deleted.
""",
        "bg": """# Приложение за обработване на данни, версия 1

Това е примерен текст. Операторът го заменя с действителното приложение.

1. **Роли.** Клиентът е администратор на данните на своите контакти; операторът ги обработва по негови указания.
2. **Сигурност.** Операторът пази данните поверителни и защитени.
3. **Подизпълнители.** Операторът посочва подизпълнителите си и обявява промените.
4. **Край.** При прекратяване на договора данните се връщат или изтриват.
""",
    },
]


def create_documents(apps, schema_editor):
    LegalDocument = apps.get_model("terms", "LegalDocument")
    LegalDocumentVersion = apps.get_model("terms", "LegalDocumentVersion")
    for spec in DOCUMENTS:
        document, created = LegalDocument.objects.get_or_create(
            slug=spec["slug"],
            defaults={"kind": spec["kind"], "audience": spec["audience"], "title": spec["title"], "public_id": uuid.uuid4()},
        )
        if not created:
            continue
        for language in ("bg", "en"):
            text = spec[language]
            LegalDocumentVersion.objects.create(
                public_id=uuid.uuid4(),
                document=document,
                number=1,
                language=language,
                text=text,
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                effective_at=EFFECTIVE,
                published_at=EFFECTIVE,
                published_by_label="system",
            )


class Migration(migrations.Migration):
    dependencies = [("terms", "0001_initial")]

    operations = [migrations.RunPython(create_documents, migrations.RunPython.noop)]
