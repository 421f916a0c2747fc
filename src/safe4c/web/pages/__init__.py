"""Server-rendered pages: staff.py is the frame of the staff pages, then one module per area; routers.py
includes them all into the app."""
