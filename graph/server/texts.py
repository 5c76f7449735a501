"""The participant's pages in the languages the concepts carry: labels, buttons and messages.

The problems a form reports are those of ``crimekg import`` (in English, as the sheet's are); the
rest of what a participant reads is here, in English, French, Spanish, Russian, Arabic, Chinese and
Japanese. A language is chosen by the page's switch (``?lang=``), else by the browser's
``Accept-Language``, else English.

>>> text("send", "ja"), text("send", "xx")
('送信', 'Send')
>>> best_language("ar-EG,ar;q=0.9,en;q=0.5"), best_language("de-CH, fr;q=0.8"), best_language("")
('ar', 'fr', 'en')
"""

from __future__ import annotations

__all__ = ["TEXTS", "text", "best_language"]

_LANGS = ("en", "fr", "es", "ru", "ar", "zh", "ja")

#: Every text of the participant's pages: key -> one text per language, in the order of ``_LANGS``.
_TABLE: dict[str, tuple[str, ...]] = {
    "field.text": ("What you want to say (required)", "Ce que vous voulez dire (obligatoire)", "Lo que quiere decir (obligatorio)",
                   "Что вы хотите сказать (обязательно)", "ما تريد قوله (إلزامي)", "您想说的内容（必填）", "伝えたいこと（必須）"),
    "field.label": ("A short name (optional)", "Un nom court (facultatif)", "Un nombre corto (opcional)", "Краткое название (необязательно)",
                    "اسم قصير (اختياري)", "简短名称（可选）", "短い名前（任意）"),
    "field.kind": ("Kind", "Type", "Tipo", "Вид", "النوع", "类型", "種類"),
    "field.category": ("Category (for a factor)", "Catégorie (pour un facteur)", "Categoría (para un factor)", "Категория (для фактора)",
                       "الفئة (للعامل)", "类别（针对因素）", "カテゴリー（要因の場合）"),
    "field.crime": ("Crime type", "Type de crime", "Tipo de delito", "Вид преступления", "نوع الجريمة", "犯罪类型", "犯罪の種類"),
    "field.place": ("Country or region", "Pays ou région", "País o región", "Страна или регион", "البلد أو المنطقة", "国家或地区", "国または地域"),
    "field.question": ("Exercise question", "Question de l'exercice", "Pregunta del ejercicio", "Вопрос упражнения", "سؤال التمرين",
                       "练习问题", "演習の質問"),
    "field.contributor": ("Your contributor code (never your name)", "Votre code de participant (jamais votre nom)",
                          "Su código de participante (nunca su nombre)", "Ваш код участника (не имя)", "رمز المشارك الخاص بك (لا تكتب اسمك أبدًا)",
                          "您的参与者代码（不要填姓名）", "参加者コード（名前は書かないでください）"),
    "field.language": ("Language of your text", "Langue de votre texte", "Idioma de su texto", "Язык вашего текста", "لغة نصك",
                       "您文本的语言", "テキストの言語"),
    "send": ("Send", "Envoyer", "Enviar", "Отправить", "إرسال", "提交", "送信"),
    "save": ("Save", "Enregistrer", "Guardar", "Сохранить", "حفظ", "保存", "保存"),
    "edit": ("Edit", "Modifier", "Editar", "Изменить", "تعديل", "编辑", "編集"),
    "withdraw": ("Withdraw", "Retirer", "Retirar", "Отозвать", "سحب", "撤回", "取り下げ"),
    "yours": ("Your contribution", "Votre contribution", "Su contribución", "Ваш вклад", "مساهمتك", "您的贡献", "あなたの意見"),
    "edit yours": ("Edit your contribution", "Modifier votre contribution", "Editar su contribución", "Изменить ваш вклад", "عدّل مساهمتك",
                   "编辑您的贡献", "意見を編集する"),
    "sent so far": ("Sent so far", "Déjà envoyé", "Enviado hasta ahora", "Уже отправлено", "ما أرسلته حتى الآن", "已提交的内容", "送信済み"),
    "no names": ("No names: you are known here only by your contributor code.",
                 "Pas de noms : ici, vous n'êtes connu que par votre code de participant.",
                 "Sin nombres: aquí solo se le conoce por su código de participante.",
                 "Без имён: здесь вас знают только по коду участника.",
                 "لا أسماء: لا يُعرف عنك هنا إلا رمز المشارك.",
                 "不用姓名：在这里只通过参与者代码识别您。",
                 "名前は使いません。ここではあなたは参加者コードでのみ識別されます。"),
    "received": ("Thank you: your contribution was received. You can edit or withdraw it until the facilitator accepts it.",
                 "Merci : votre contribution a été reçue. Vous pouvez la modifier ou la retirer tant que l'animateur ne l'a pas acceptée.",
                 "Gracias: su contribución fue recibida. Puede editarla o retirarla hasta que el facilitador la acepte.",
                 "Спасибо: ваш вклад получен. Вы можете изменить или отозвать его, пока ведущий его не принял.",
                 "شكرًا: تم استلام مساهمتك. يمكنك تعديلها أو سحبها إلى أن يقبلها الميسّر.",
                 "谢谢：您的贡献已收到。在主持人接受之前，您可以编辑或撤回它。",
                 "ありがとうございます。意見を受け付けました。ファシリテーターが承認するまで編集や取り下げができます。"),
    "saved": ("Your changes were saved.", "Vos modifications ont été enregistrées.", "Sus cambios se guardaron.", "Изменения сохранены.",
              "تم حفظ تعديلاتك.", "您的修改已保存。", "変更を保存しました。"),
    "withdrawn": ("Withdrawn.", "Retirée.", "Retirada.", "Отозвано.", "تم السحب.", "已撤回。", "取り下げました。"),
    "fix": ("Please fix the fields marked below; nothing was sent yet.",
            "Veuillez corriger les champs signalés ci-dessous ; rien n'a encore été envoyé.",
            "Corrija los campos marcados abajo; todavía no se envió nada.",
            "Исправьте отмеченные ниже поля; ничего ещё не отправлено.",
            "يرجى تصحيح الحقول المشار إليها أدناه؛ لم يُرسل شيء بعد.",
            "请更正下面标出的字段；尚未提交任何内容。",
            "下の印の付いた項目を直してください。まだ何も送信されていません。"),
    "status.pending": ("waiting", "en attente", "en espera", "ожидает", "قيد الانتظار", "等待中", "確認待ち"),
    "status.accepted": ("accepted", "acceptée", "aceptada", "принято", "مقبولة", "已接受", "承認済み"),
    "status.rejected": ("not kept", "non retenue", "no retenida", "не принято", "غير مقبولة", "未采纳", "不採用"),
    "status.withdrawn": ("withdrawn", "retirée", "retirada", "отозвано", "مسحوبة", "已撤回", "取り下げ済み"),
    "join": ("Join the session", "Rejoindre la session", "Unirse a la sesión", "Присоединиться к сессии", "الانضمام إلى الجلسة",
             "加入会议", "セッションに参加"),
    "join code": ("Join code", "Code d'accès", "Código de acceso", "Код входа", "رمز الانضمام", "加入代码", "参加コード"),
    "join button": ("Join", "Rejoindre", "Unirse", "Войти", "انضمام", "加入", "参加"),
    "language": ("Language", "Langue", "Idioma", "Язык", "اللغة", "语言", "言語"),
}

#: key -> {language: text}
TEXTS: dict[str, dict[str, str]] = {k: dict(zip(_LANGS, v)) for k, v in _TABLE.items()}
assert all(len(v) == len(_LANGS) for v in _TABLE.values()), "a text is missing a language"


def text(key: str, lang: str) -> str:
    """The text ``key`` in ``lang`` (English for a language it does not have)."""
    texts = TEXTS[key]
    return texts.get(lang) or texts["en"]


def best_language(accept_language: str) -> str:
    """The first of the pages' languages an ``Accept-Language`` header asks for (by its q weights), else English."""
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        base = tag.strip().lower().split("-")[0]
        if base in _LANGS and q > 0:
            wanted.append((-q, i, base))
    return min(wanted)[2] if wanted else "en"
