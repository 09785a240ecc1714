"""The weekly report: figures (`stats`), the week's window (`week`), the text
(`content`), the chart (`chart`) and sending it to everyone due (`delivery`).
"""
