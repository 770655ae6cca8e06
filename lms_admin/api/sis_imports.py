"""SIS imports and Progress objects, in Canvas's shapes (being built)."""

from lms_admin.api.base import CanvasView


class SisImportsView(CanvasView):
    pass


class SisImportDetailView(CanvasView):
    pass


class SisImportAbortView(CanvasView):
    pass


class AbortAllPendingView(CanvasView):
    pass


class SisImportRestoreStatesView(CanvasView):
    pass


class ProgressView(CanvasView):
    pass
