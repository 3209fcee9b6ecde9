"""Browsers get an error page, API clients the JSON error body.

Every error the service gives is made as the API's JSON body (``search_api.errors``,
``search_api.boundary``, the middleware's own refusals), whoever asked. A person who follows a
broken link or mistypes an address should not read raw JSON: this middleware, around all of them,
turns such a response into a small HTML page in the reader's language when the request is a
browser's page request — a GET or HEAD outside the machine interfaces (``/api/``, the
LibreTranslate endpoints, OAI-PMH) whose ``Accept`` prefers ``text/html`` to JSON. The status,
``Retry-After``, the request id and every other header stay as they were; the API's own message
is kept on the page (in English, marked so) since it names what was wrong.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from urllib.parse import parse_qs

from record_catalogue.languages import UN_LANGUAGES
from search_api.asgi import HttpMiddleware, Message, Receive, Scope, Send, header
from search_api.security_headers import STRICT_CSP

MACHINE_PREFIXES = ("/api/", "/libretranslate", "/oai")
MAX_ERROR_BODY = 64 * 1024  # an error body larger than this is not one of ours: passed on as it is
RTL_LANGUAGES = frozenset({"ar"})

# The page's words in the six languages (a test checks that each language has every key).
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "app": "CBD clearing-house search",
        "back": "Go to the search page",
        "reference": "Reference for the operators:",
        "detail": "Details:",
        "retry": "Try again in {seconds} seconds.",
        "400": "This request cannot be read",
        "400_text": "The request sent to the server is not valid.",
        "404": "Page not found",
        "404_text": "There is no page at this address. It may have been moved, or the link may be mistyped.",
        "405": "Not possible at this address",
        "405_text": "This address does not accept this kind of request.",
        "413": "Too much data",
        "413_text": "What was sent is larger than the server accepts.",
        "422": "This request cannot be run",
        "422_text": "Part of the address is not valid; the details below say which.",
        "429": "Too many requests",
        "429_text": "You have made too many requests in a short time.",
        "500": "Something went wrong on our side",
        "500_text": "An unexpected error stopped this page. It has been logged; please try again later.",
        "503": "Temporarily unavailable",
        "503_text": "The service cannot answer right now. Please try again in a moment.",
        "error": "Error",
        "error_text": "The server could not answer this request.",
    },
    "fr": {
        "app": "Recherche dans les centres d'échange de la CDB",
        "back": "Aller à la page de recherche",
        "reference": "Référence pour les opérateurs :",
        "detail": "Détails :",
        "retry": "Réessayez dans {seconds} secondes.",
        "400": "Cette requête est illisible",
        "400_text": "La requête envoyée au serveur n'est pas valide.",
        "404": "Page introuvable",
        "404_text": "Il n'y a pas de page à cette adresse. Elle a peut-être été déplacée, ou le lien est mal saisi.",
        "405": "Impossible à cette adresse",
        "405_text": "Cette adresse n'accepte pas ce type de requête.",
        "413": "Trop de données",
        "413_text": "Ce qui a été envoyé dépasse ce que le serveur accepte.",
        "422": "Cette requête ne peut pas être exécutée",
        "422_text": "Une partie de l'adresse n'est pas valide ; les détails ci-dessous disent laquelle.",
        "429": "Trop de requêtes",
        "429_text": "Vous avez fait trop de requêtes en peu de temps.",
        "500": "Une erreur s'est produite de notre côté",
        "500_text": "Une erreur inattendue a interrompu cette page. Elle a été consignée ; "
        "veuillez réessayer plus tard.",
        "503": "Temporairement indisponible",
        "503_text": "Le service ne peut pas répondre pour le moment. Veuillez réessayer dans un instant.",
        "error": "Erreur",
        "error_text": "Le serveur n'a pas pu répondre à cette requête.",
    },
    "es": {
        "app": "Búsqueda en los centros de intercambio del CDB",
        "back": "Ir a la página de búsqueda",
        "reference": "Referencia para los operadores:",
        "detail": "Detalles:",
        "retry": "Vuelva a intentarlo dentro de {seconds} segundos.",
        "400": "No se puede leer esta solicitud",
        "400_text": "La solicitud enviada al servidor no es válida.",
        "404": "Página no encontrada",
        "404_text": "No hay ninguna página en esta dirección. "
        "Puede que se haya movido o que el enlace esté mal escrito.",
        "405": "No es posible en esta dirección",
        "405_text": "Esta dirección no acepta este tipo de solicitud.",
        "413": "Demasiados datos",
        "413_text": "Lo enviado supera lo que acepta el servidor.",
        "422": "No se puede ejecutar esta solicitud",
        "422_text": "Una parte de la dirección no es válida; los detalles de abajo indican cuál.",
        "429": "Demasiadas solicitudes",
        "429_text": "Ha hecho demasiadas solicitudes en poco tiempo.",
        "500": "Algo ha fallado de nuestro lado",
        "500_text": "Un error inesperado detuvo esta página. Ha quedado registrado; vuelva a intentarlo más tarde.",
        "503": "No disponible temporalmente",
        "503_text": "El servicio no puede responder en este momento. Vuelva a intentarlo en unos instantes.",
        "error": "Error",
        "error_text": "El servidor no pudo responder a esta solicitud.",
    },
    "ru": {
        "app": "Поиск по механизмам посредничества КБР",
        "back": "Перейти к странице поиска",
        "reference": "Номер для операторов:",
        "detail": "Подробности:",
        "retry": "Повторите попытку через {seconds} с.",
        "400": "Запрос не удаётся прочитать",
        "400_text": "Запрос, отправленный на сервер, недействителен.",
        "404": "Страница не найдена",
        "404_text": "По этому адресу нет страницы. Возможно, её переместили или ссылка набрана с ошибкой.",
        "405": "По этому адресу это невозможно",
        "405_text": "Этот адрес не принимает запросы такого вида.",
        "413": "Слишком много данных",
        "413_text": "Отправленные данные превышают допустимый сервером объём.",
        "422": "Этот запрос невозможно выполнить",
        "422_text": "Часть адреса недействительна; подробности ниже указывают, какая.",
        "429": "Слишком много запросов",
        "429_text": "Вы отправили слишком много запросов за короткое время.",
        "500": "На нашей стороне произошла ошибка",
        "500_text": "Непредвиденная ошибка прервала загрузку страницы. Она записана в журнал; повторите попытку позже.",
        "503": "Временно недоступно",
        "503_text": "Сервис сейчас не может ответить. Повторите попытку через несколько минут.",
        "error": "Ошибка",
        "error_text": "Сервер не смог ответить на этот запрос.",
    },
    "zh": {
        "app": "《生物多样性公约》信息交换所检索",
        "back": "前往检索页面",
        "reference": "供运维人员查询的编号：",
        "detail": "详细信息：",
        "retry": "请在 {seconds} 秒后重试。",
        "400": "无法读取此请求",
        "400_text": "发送到服务器的请求无效。",
        "404": "找不到页面",
        "404_text": "此地址没有页面。页面可能已被移动，或链接输入有误。",
        "405": "此地址不支持该操作",
        "405_text": "此地址不接受这种请求。",
        "413": "数据过多",
        "413_text": "发送的数据超出了服务器接受的大小。",
        "422": "无法执行此请求",
        "422_text": "地址的某一部分无效；下面的详细信息指出了是哪一部分。",
        "429": "请求过多",
        "429_text": "您在短时间内发出的请求过多。",
        "500": "我们这边出了问题",
        "500_text": "一个意外错误中断了此页面。错误已记录；请稍后重试。",
        "503": "暂时无法使用",
        "503_text": "服务暂时无法响应。请稍后重试。",
        "error": "错误",
        "error_text": "服务器无法响应此请求。",
    },
    "ar": {
        "app": "البحث في آليات تبادل المعلومات التابعة لاتفاقية التنوع البيولوجي",
        "back": "الانتقال إلى صفحة البحث",
        "reference": "المرجع للمشغّلين:",
        "detail": "التفاصيل:",
        "retry": "أعد المحاولة بعد {seconds} ثانية.",
        "400": "تعذّرت قراءة هذا الطلب",
        "400_text": "الطلب المرسل إلى الخادم غير صالح.",
        "404": "الصفحة غير موجودة",
        "404_text": "لا توجد صفحة في هذا العنوان. ربما نُقلت، أو كُتب الرابط بشكل خاطئ.",
        "405": "غير ممكن في هذا العنوان",
        "405_text": "لا يقبل هذا العنوان هذا النوع من الطلبات.",
        "413": "بيانات كثيرة جداً",
        "413_text": "ما أُرسل أكبر مما يقبله الخادم.",
        "422": "تعذّر تنفيذ هذا الطلب",
        "422_text": "جزء من العنوان غير صالح؛ تبيّن التفاصيل أدناه أيّ جزء.",
        "429": "طلبات كثيرة جداً",
        "429_text": "أرسلت طلبات كثيرة جداً في وقت قصير.",
        "500": "حدث خطأ من جانبنا",
        "500_text": "أوقف خطأ غير متوقع هذه الصفحة. سُجّل الخطأ؛ يُرجى إعادة المحاولة لاحقاً.",
        "503": "غير متاح مؤقتاً",
        "503_text": "لا تستطيع الخدمة الرد الآن. يُرجى إعادة المحاولة بعد قليل.",
        "error": "خطأ",
        "error_text": "تعذّر على الخادم الرد على هذا الطلب.",
    },
}
KNOWN_STATUSES = frozenset({400, 404, 405, 413, 422, 429, 500, 503})


def _quality(accept: str, wanted: str) -> float:
    """The q value ``accept`` gives media type ``wanted`` (exact type, then ``type/*``, then ``*/*``)."""
    best: tuple[int, float] = (-1, 0.0)
    kind = wanted.split("/")[0]
    for part in accept.split(","):
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        rank = 2 if media == wanted else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        if rank < 0:
            continue
        q = 1.0
        for field in fields[1:]:
            name, _, value = field.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if rank > best[0]:
            best = (rank, q)
    return best[1]


def wants_html(scope: Scope) -> bool:
    """Whether the request is a browser's page request (see the module's docstring)."""
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    path = str(scope.get("path", ""))
    if path.startswith(MACHINE_PREFIXES):
        return False
    accept = header(scope, b"accept") or ""
    if "text/html" not in accept.lower():
        return False  # */* alone (curl, scripts) or JSON: the API's answer
    return _quality(accept, "text/html") > 0 and _quality(accept, "text/html") >= _quality(accept, "application/json")


def reader_language(scope: Scope) -> str:
    """``lang=`` when it names one of the six, else the first of them ``Accept-Language`` names, else English."""
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    for value in query.get("lang", []):
        if value in UN_LANGUAGES:
            return value
    for part in (header(scope, b"accept-language") or "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in UN_LANGUAGES:
            return code
    return "en"


def render(status: int, error: Mapping[str, object], lang: str, root: str, retry_after: str | None) -> str:
    """The error page for ``status`` and the API's ``error`` body, in ``lang``."""
    s = STRINGS[lang]
    key = str(status) if status in KNOWN_STATUSES else "error"
    e = html.escape
    parts = [f"<h1>{e(s[key])}</h1>", f"<p>{e(s[f'{key}_text'])}</p>"]
    if retry_after and retry_after.isdigit():
        parts.append(f"<p>{e(s['retry'].format(seconds=retry_after))}</p>")
    message = error.get("message")
    if isinstance(message, str) and message and status not in (404, 500):
        parts.append(f'<p>{e(s["detail"])} <span lang="en" dir="ltr">{e(message)}</span></p>')
    request_id = error.get("request_id")
    if isinstance(request_id, str) and request_id and status >= 500:
        parts.append(f'<p>{e(s["reference"])} <code dir="ltr">{e(request_id)}</code></p>')
    parts.append(f'<p><a href="{e(root)}/?lang={lang}">{e(s["back"])}</a></p>')
    body = "\n      ".join(parts)
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    return f"""<!doctype html>
<html lang="{lang}" dir="{direction}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>{e(s[key])} · {e(s["app"])}</title>
    <link rel="icon" href="{e(root)}/static/icon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="{e(root)}/static/page.css" />
    <link rel="stylesheet" href="{e(root)}/static/record.css" />
  </head>
  <body>
    <header class="site-header">
      <p class="site-title"><a href="{e(root)}/?lang={lang}">{e(s["app"])}</a></p>
    </header>
    <main id="main" class="record-page error-page" data-status="{status}">
      {body}
    </main>
  </body>
</html>
"""


class HtmlErrorPages(HttpMiddleware):
    """Turns the API's JSON error into an HTML page for a browser's page request."""

    def handles(self, scope: Scope) -> bool:
        return wants_html(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def watched(message: Message) -> None:
            nonlocal held, size
            if message["type"] == "http.response.start":
                headers = {bytes(k).lower(): bytes(v) for k, v in message.get("headers", [])}
                is_json_error = message["status"] >= 400 and headers.get(b"content-type", b"").startswith(
                    b"application/json"
                )
                if is_json_error:
                    held = message
                    return
                await send(message)
                return
            if message["type"] != "http.response.body" or held is None:
                await send(message)
                return
            body = bytes(message.get("body", b""))
            size += len(body)
            chunks.append(body)
            if size > MAX_ERROR_BODY:  # not an error body of ours: on as it came
                await send(held)
                more = bool(message.get("more_body", False))
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": more})
                held = None
                chunks.clear()
                return
            if message.get("more_body", False):
                return
            await self._answer(scope, send, held, b"".join(chunks))
            held = None
            chunks.clear()

        await self.app(scope, receive, watched)

    @staticmethod
    async def _answer(scope: Scope, send: Send, start: Message, body: bytes) -> None:
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        error = parsed.get("error") if isinstance(parsed, dict) else None
        status = int(start["status"])
        headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
        retry_after = next((v.decode("latin-1") for k, v in headers if k.lower() == b"retry-after"), None)
        page = render(
            status,
            error if isinstance(error, dict) else {},
            reader_language(scope),
            str(scope.get("root_path", "")).rstrip("/"),
            retry_after,
        ).encode()
        dropped = {b"content-type", b"content-length", b"content-security-policy", b"x-frame-options"}
        kept = [(k, v) for k, v in headers if k.lower() not in dropped]
        kept += [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(page)).encode()),
            (b"content-security-policy", STRICT_CSP),
            (b"x-frame-options", b"DENY"),
            (b"vary", b"Accept"),
        ]
        await send({**start, "headers": kept})
        await send({"type": "http.response.body", "body": page})
