"""What the Streamlit pages share: the session (core, user, login gate), the sidebar, how a chat is
drawn. Kept outside ``pages/`` so that Streamlit can never offer or run any of it as a page.

No SQL, no boto3, no PDF code here or in the pages: everything goes through ``Aizoomdoc``; every
string that came from a file or a person goes through ``aizoomdoc_core.markup`` before Streamlit
renders it as Markdown.
"""
