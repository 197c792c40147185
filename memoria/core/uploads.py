"""Uploaded files stay in memory: they never reach the server's disk in clear.

Django writes an upload larger than 2.5 MB to a temporary file: a scanned
complaint or a spreadsheet of victims would lie unencrypted in ``/tmp`` for
the length of the request, and in the disk's free blocks afterwards. Memoria
keeps uploads in memory instead (``FILE_UPLOAD_HANDLERS`` names only
``MemoryOnlyUploadHandler``) and encrypts them before they reach the database.

Memory stays bounded by two limits, both settings:

* ``MEMORIA_UPLOAD_MAX_BYTES`` (10 MB, what the forms accept): past it, the
  rest of a file is read and thrown away, and the form gets an
  ``OversizedUpload`` with the file's name and real size but no content, so it
  answers "too large" as for any file too big (reading it is an error).
* ``MEMORIA_UPLOAD_MAX_REQUEST_BYTES``: a request that announces a longer body
  is refused (400) before any of it is read. (Under WSGI, which ``memoria
  serve`` uses, every request body has a length that the server enforces.)

A reverse proxy in front of Memoria may still write large request bodies to
its own temporary files (nginx does above ``client_body_buffer_size``): see
docs/security.md.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers


class _Discarded(io.RawIOBase):
    """The content of a file too large to keep: there is none to read."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise ValueError("this upload was larger than the limit and its content was discarded")


class OversizedUpload(UploadedFile):
    """An uploaded file past ``MEMORIA_UPLOAD_MAX_BYTES``: its name and size, no content."""

    def __init__(self, name, content_type, size, charset, content_type_extra) -> None:
        super().__init__(_Discarded(), name, content_type, size, charset, content_type_extra)


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory, up to ``MEMORIA_UPLOAD_MAX_BYTES``."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.MEMORIA_UPLOAD_MAX_REQUEST_BYTES:
            raise RequestDataTooBig(
                f"Request body of {content_length} bytes exceeds "
                f"MEMORIA_UPLOAD_MAX_REQUEST_BYTES ({settings.MEMORIA_UPLOAD_MAX_REQUEST_BYTES})"
            )

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.file = io.BytesIO()
        self.oversized = False
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.oversized:
            return None
        if start + len(raw_data) > settings.MEMORIA_UPLOAD_MAX_BYTES:
            self.oversized = True
            self.file = io.BytesIO()  # drop what was kept
            return None
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        if self.oversized:
            return OversizedUpload(
                self.file_name, self.content_type, file_size, self.charset, self.content_type_extra
            )
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
